using System.Globalization;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// The dashboard's one way to show a point in time: <c>2026-12-04 20:13:51 UTC</c> — always UTC and saying so (the
/// server renders pages and does not know the reader's zone; the API returns ISO 8601 with offset).
/// </summary>
public static class Timestamps
{
    public static string Show(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Show(DateTimeOffset? at) => at is { } a ? Show(a) : "—";
}
