using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AdapterLab.Web.Hosting;

/// <summary>
/// Reads a small JSON request body strictly: unknown fields are refused, and malformed JSON or a wrong type answers 400
/// naming the JSON path, which model binding would not. (Size limits are the server's: past them, 413.)
/// </summary>
public static class JsonBody
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The body as <typeparamref name="T"/>, or the 400 to answer; <paramref name="expected"/> describes the object for an empty body.</summary>
    public static async Task<(T? Value, ValidationProblem? Problem)> ReadAsync<T>(HttpRequest request, string expected, CancellationToken ct) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Strict, ct);
            return value is null
                ? (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"expected a JSON object with {expected}"] }))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, TypedResults.ValidationProblem(Errors(ex), title: $"The body is not valid JSON of {expected}"));
        }
    }

    /// <summary>A JSON error as a field error: keyed by its JSON path (<c>body</c> at the root), without the parser's path suffix.</summary>
    public static Dictionary<string, string[]> Errors(JsonException ex)
    {
        var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
        return new Dictionary<string, string[]> { [field] = [ex.Message.Split(" Path:")[0]] };
    }
}
