using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace AdapterLab.Web.Dashboard;

/// <summary>
/// A keyset position in the experiment list ordered by submission time (id breaks ties): the rows strictly after it
/// (<see cref="Before"/> false: the next page) or strictly before it (the previous page), in the order
/// <see cref="Descending"/> names. Clients treat the token as opaque; it is base64url of
/// <c>v1|a or b|d or u|unix microseconds|id</c> (PostgreSQL keeps microseconds, so the position is exact).
/// </summary>
public sealed record ExperimentCursor(DateTimeOffset SubmittedAt, Guid Id, bool Descending, bool Before = false)
{
    private const string Version = "v1";

    public string Encode()
    {
        long micros = (SubmittedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var text = string.Join('|', Version, Before ? "b" : "a", Descending ? "d" : "u", micros.ToString(CultureInfo.InvariantCulture), Id.ToString("N"));
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    public static bool TryDecode(string? token, out ExperimentCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200) return false;
        byte[] bytes;
        try { bytes = Base64Url.DecodeFromChars(token.Trim()); }
        catch (FormatException) { return false; }
        var parts = Encoding.ASCII.GetString(bytes).Split('|');
        if (parts.Length != 5 || parts[0] != Version || parts[1] is not ("a" or "b") || parts[2] is not ("d" or "u")
            || !long.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var micros)
            || !Guid.TryParseExact(parts[4], "N", out var id))
            return false;
        DateTimeOffset at;
        try { at = DateTimeOffset.UnixEpoch.AddTicks(checked(micros * 10)); }
        catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException) { return false; }
        cursor = new ExperimentCursor(at, id, parts[2] == "d", parts[1] == "b");
        return true;
    }
}
