using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Safetensors;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Web.Registry;

/// <summary>
/// Checks an adapter file brought from outside against the spec it claims (no TorchSharp here): an adaptation of a
/// servable method on a named backbone, a head of the spec's classes, and exactly the trainable parameters the catalogue
/// counts for that spec — the head's normalisation statistics (<c>head_norm.*</c>) aside. The inference host checks
/// every name and shape again when it loads the file, as a training run would.
/// </summary>
public static class AdapterImportCheck
{
    /// <summary>Problems keyed by field (<c>spec.…</c>, <c>file</c>), and the trainable and total parameter counts when there are none.</summary>
    public static (Dictionary<string, string[]> Problems, long Trainable, long Total) Check(ExperimentSpec spec, IReadOnlyList<SafetensorsTensorInfo> tensors)
    {
        var problems = new Dictionary<string, string[]>();
        if (spec.Kind != Kinds.Adapt) problems["spec.kind"] = [$"an imported adapter is an '{Kinds.Adapt}' spec (got '{spec.Kind}')"];
        if (!Methods.Servable.Contains(spec.Method.Name))
            problems["spec.method.name"] = [$"'{spec.Method.Name}' is not an adapter method served on a shared backbone ({string.Join(", ", Methods.Servable)})"];
        if (spec.Backbone.Source != BackboneSources.Named || string.IsNullOrWhiteSpace(spec.Backbone.Name))
            problems["spec.backbone"] = ["the adapter must name the platform backbone it was trained on (source 'named' and its name)"];
        if (ModelCatalogue.Find(spec.Backbone.Preset) is not { } preset)
        {
            problems["spec.backbone.preset"] = [$"unknown preset '{spec.Backbone.Preset}'"];
            return (problems, 0, 0);
        }
        if (problems.Count > 0) return (problems, 0, 0);

        var head = tensors.FirstOrDefault(t => t.Name == "head.weight");
        if (head is null || head.Shape.Count != 2 || head.Shape[1] != preset.Width)
        {
            problems["file"] = [$"no head.weight of shape [classes, {preset.Width}]"];
            return (problems, 0, 0);
        }
        var count = ModelCatalogue.Count(spec);
        long classes = ModelCatalogue.Classes(spec);
        long expected = count.Trainable, total = count.Total;
        if (classes == 0)
        {
            // A folder dataset: its classes are its sub-folders, known from the head.
            long c = head.Shape[0];
            expected += preset.Width * c + c;
            total += preset.Width * c + c;
        }
        else if (head.Shape[0] != classes)
            problems["file"] = [$"head.weight has {head.Shape[0]} classes; the spec's label family has {classes}"];
        long found = tensors.Where(t => !t.Name.StartsWith("head_norm.", StringComparison.Ordinal)).Sum(t => t.ElementCount);
        if (!problems.ContainsKey("file") && found != expected)
            problems["file"] = [$"{found:N0} trainable values in the file; {spec.Method.Name} on {preset.Name} with this spec trains {expected:N0}"];
        return (problems, expected, total);
    }
}
