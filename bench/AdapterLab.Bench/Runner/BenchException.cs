using System.Net;
using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>A failure the benchmark reports as one line (no stack trace): what failed and what to do.</summary>
public sealed class BenchException(string message) : Exception(message)
{
    /// <summary>An API answer that is not a success, with the ProblemDetails detail when there is one and a hint for 401/403.</summary>
    public static BenchException From(HttpStatusCode status, string what, string body)
    {
        string detail = body.Length > 300 ? body[..300] + "…" : body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                detail = doc.RootElement.TryGetProperty("errors", out var errors) ? errors.ToString()
                    : doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? detail
                    : doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() ?? detail : detail;
        }
        catch (JsonException) { }
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => " — the platform does not accept this API key (./platform bench uses .local/secrets/api-key, which ./platform up registers; was the platform started from another checkout?)",
            HttpStatusCode.Forbidden => " — the API key lacks the scope this needs",
            _ => "",
        };
        return new BenchException($"{what}: HTTP {(int)status} {detail}{hint}");
    }
}
