using System.Security.Cryptography;
using System.Text;
using AdapterLab.Inference.Registry;
using AdapterLab.Training.Artifacts;
using AdapterLab.Training.Datasets.Folders;
using AdapterLab.Training.Serving;
using Microsoft.Extensions.Options;

namespace AdapterLab.Inference.Api;

/// <summary>
/// <c>POST /predict</c> (multipart: <c>model</c>, <c>version</c>, <c>images</c> files and/or <c>paths</c>), called only by
/// the web with the shared caller token: decodes each image as a folder dataset's images are decoded (so a data-root
/// path gets exactly the pixels its evaluation saw), queues them on the batcher and answers every image's class
/// probabilities — or, for a dense multitask model, every task's map. An undecodable image or an unusable path is a 400 naming it.
/// </summary>
public static class PredictEndpoint
{
    public const string TokenHeader = "X-Inference-Token";
    private const int TopClasses = 5;

    /// <summary>How long one image may take to decode (a few milliseconds normally; see <see cref="ImageResize.DecodeUntrusted"/>).</summary>
    public static readonly TimeSpan DecodeDeadline = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapPredict(this IEndpointRouteBuilder app)
    {
        app.MapPost("/predict", Predict).DisableAntiforgery();
        return app;
    }

    public sealed record ClassProbability(string Class, double Probability);

    public sealed record ImagePrediction(string Source, string? Label, string Predicted, int PredictedIndex, IReadOnlyList<ClassProbability> Top, float[] Probabilities);

    /// <summary>
    /// One task's map of one image: <see cref="Values"/> flattened channel-major ([C, H, W]) in the task's units —
    /// segmentation class index (names in the response's classes), depth, unit normal, edge probability — and a PNG
    /// rendering as a data URL (the experiment gallery's colours).
    /// </summary>
    public sealed record DenseMap(int Channels, int Height, int Width, float[] Values, string Png);

    public sealed record DenseImagePrediction(string Source, IReadOnlyDictionary<string, DenseMap> Maps);

    /// <summary>
    /// <see cref="Kind"/> <c>classification</c>: <see cref="Predictions"/> per image; <c>dense</c> (a multitask model):
    /// <see cref="Dense"/> per image, every one of <see cref="Tasks"/>, and <see cref="Classes"/> the segmentation classes.
    /// </summary>
    public sealed record PredictResponse(string Model, int Version, string Method, string Kind, IReadOnlyList<string> Classes,
        IReadOnlyList<ImagePrediction> Predictions, IReadOnlyList<string> Tasks, IReadOnlyList<DenseImagePrediction> Dense);

    private static async Task<IResult> Predict(HttpRequest request, ServedModels models, PredictionBatcher batcher, IOptions<InferenceOptions> options, CancellationToken ct)
    {
        if (!Authorised(request, options.Value.CallerToken))
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorised", detail: "only the platform's web service calls the inference host");
        if (!request.HasFormContentType)
            return Invalid("body", "expected multipart/form-data with model, version and images or paths");
        var form = await request.ReadFormAsync(ct);
        string model = form["model"].ToString();
        if (!int.TryParse(form["version"].ToString(), out int version) || string.IsNullOrWhiteSpace(model))
            return Invalid("model", "model and a numeric version are required");

        ReadyModel? ready;
        try
        {
            ready = await models.PrepareAsync(model, version, ct);
        }
        catch (UnservableModelException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Model cannot be served", detail: ex.Message);
        }
        if (ready is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Model not found", detail: $"model '{model}' has no version {version}");

        int size = ready.ImageSize, per = 3 * size * size;
        var inputs = new List<(string Source, string? Label, byte[] Bytes, string Field)>();
        for (int i = 0; i < form.Files.Count; i++)
        {
            using var buffer = new MemoryStream();
            await form.Files[i].CopyToAsync(buffer, ct);
            inputs.Add(("upload:" + form.Files[i].FileName, null, buffer.ToArray(), $"images[{i}]"));
        }
        var paths = form["paths"];
        for (int i = 0; i < paths.Count; i++)
        {
            var (bytes, label, problem) = await ReadPathAsync(paths[i]!, ready, options.Value.DataRoot, ct);
            if (problem is not null) return Invalid($"paths[{i}]", problem);
            inputs.Add(("path:" + paths[i], label, bytes!, $"paths[{i}]"));
        }
        if (inputs.Count == 0) return Invalid("images", "no images or paths");

        var pixels = new float[(long)inputs.Count * per];
        for (int i = 0; i < inputs.Count; i++)
        {
            try
            {
                ImageResize.DecodeUntrusted(inputs[i].Bytes, size, pixels.AsSpan(i * per, per), DecodeDeadline);
            }
            catch (InvalidDataException ex)
            {
                return Invalid(inputs[i].Field, $"cannot be read as an image: {ex.Message}");
            }
        }
        if (ready.Dense is { } plan)
        {
            var maps = await batcher.PredictDenseAsync(ready.Key, pixels, inputs.Count, ct);
            var tasks = maps[0].Keys.ToList();
            var dense = inputs.Select((input, i) => new DenseImagePrediction(input.Source, maps[i].ToDictionary(m => m.Key, m => new DenseMap(
                m.Value.Length / (size * size), size, size, m.Value,
                "data:image/png;base64," + Convert.ToBase64String(Gallery.RenderPng(m.Key, m.Value, size)))))).ToList();
            return TypedResults.Ok(new PredictResponse(model, version, ready.Version.Method, "dense", ready.Classes, [], tasks, dense));
        }
        var probabilities = await batcher.PredictAsync(ready.Key, ready.Version.BackboneBlob, pixels, inputs.Count, ct);
        var predictions = inputs.Select((input, i) =>
        {
            var p = probabilities[i];
            int best = Array.IndexOf(p, p.Max());
            var top = p.Select((v, c) => new ClassProbability(ready.Classes[c], v)).OrderByDescending(x => x.Probability).Take(TopClasses).ToList();
            return new ImagePrediction(input.Source, input.Label, ready.Classes[best], best, top, p);
        }).ToList();
        return TypedResults.Ok(new PredictResponse(model, version, ready.Version.Method, "classification", ready.Classes, predictions, [], []));
    }

    /// <summary>A file inside the data root; its label when it lies in one of the model's own dataset's class folders.</summary>
    private static async Task<(byte[]? Bytes, string? Label, string? Problem)> ReadPathAsync(string path, ReadyModel model, string? dataRoot, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(dataRoot)) return (null, null, "this inference host has no data root (Inference:DataRoot): send the image itself");
        string real;
        try
        {
            real = PathSafety.Resolve(PathSafety.RealPath(dataRoot), path);
        }
        catch (PathEscapeException ex)
        {
            return (null, null, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, null, $"'{path}' cannot be resolved: {ex.Message}");
        }
        if (!File.Exists(real)) return (null, null, $"'{path}' is not a file under the data root");
        string? label = null;
        if (model.Plan?.Folder is { } folder && PathSafety.IsInside(folder.RealPath, real))
        {
            var first = Path.GetRelativePath(folder.RealPath, real).Split(Path.DirectorySeparatorChar)[0];
            if (folder.Classes.Contains(first)) label = first;
        }
        return (await File.ReadAllBytesAsync(real, ct), label, null);
    }

    private static bool Authorised(HttpRequest request, string expected) =>
        !string.IsNullOrEmpty(expected) && request.Headers.TryGetValue(TokenHeader, out var given)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.ToString()), Encoding.UTF8.GetBytes(expected));

    private static IResult Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "Invalid prediction request");
}
