namespace AdapterLab.Web.Dashboard;

/// <summary>
/// The 8 characters that name an experiment, run or configuration on the page when it has no name. Experiment ids are
/// UUIDv7: their first characters are a timestamp, the same for a whole batch submitted together, so the short form is
/// taken from the random end instead.
/// </summary>
public static class ShortId
{
    public static string Of(Guid id) => id.ToString("N")[^8..];
}
