using System.Net.Http.Headers;

namespace AdapterLab.Web.Registry;

/// <summary>
/// The web's one way to the inference host, for the predict API and the dashboard's "try it" panel alike: a resolved
/// version and its images (uploaded bytes or data-root paths) go out as one multipart request with the caller token;
/// the host's status and body come back as they are.
/// </summary>
public sealed class InferenceGateway(IHttpClientFactory clients, IConfiguration configuration, ILogger<InferenceGateway> log)
{
    public const string HttpClientName = "inference";
    public const string TokenHeader = "X-Inference-Token";

    public sealed record Image(string FileName, string? ContentType, Func<Stream> Open);

    public sealed record Answer(int Status, string ContentType, byte[] Body);

    /// <summary>Why no inference host can be asked (not configured), or null.</summary>
    public string? Unavailable =>
        string.IsNullOrWhiteSpace(configuration["Platform:InferenceUrl"]) || string.IsNullOrWhiteSpace(configuration["Platform:InferenceToken"])
            ? "this platform runs no inference host (Platform:InferenceUrl and Platform:InferenceToken are not set)"
            : null;

    public async Task<Answer> PredictAsync(ModelVersionView version, IReadOnlyList<Image> images, IReadOnlyList<string> paths, CancellationToken ct)
    {
        if (Unavailable is { } why) return Problem(StatusCodes.Status503ServiceUnavailable, "Inference is not configured", why);
        using var forward = new MultipartFormDataContent
        {
            { new StringContent(version.Model), "model" },
            { new StringContent(version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), "version" },
        };
        foreach (var p in paths) forward.Add(new StringContent(p), "paths");
        foreach (var image in images)
        {
            var part = new StreamContent(image.Open());
            part.Headers.ContentType = MediaTypeHeaderValue.TryParse(image.ContentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            forward.Add(part, "images", string.IsNullOrWhiteSpace(image.FileName) ? "image" : Path.GetFileName(image.FileName));
        }
        var url = configuration["Platform:InferenceUrl"]!;
        using var message = new HttpRequestMessage(HttpMethod.Post, url.TrimEnd('/') + "/predict") { Content = forward };
        message.Headers.Add(TokenHeader, configuration["Platform:InferenceToken"]);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(message, ct);
            return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "application/json",
                await response.Content.ReadAsByteArrayAsync(ct));
        }
        catch (HttpRequestException ex)
        {
            log.LogWarning(ex, "Inference host {Url} unreachable", url);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Inference host unreachable", ex.Message);
        }
    }

    private static Answer Problem(int status, string title, string detail) => new(status, "application/problem+json",
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { type = "about:blank", title, status, detail }));
}
