namespace AdapterLab.Contracts.Catalogue;

/// <summary>ShapesWorld vocabulary the validator needs: label families (geometry only) and appearance domains.</summary>
public static class ShapesWorldCatalogue
{
    /// <summary>Version of the procedural generator; recorded in every attempt's provenance.</summary>
    public const string GeneratorVersion = "shapesworld-1";

    public static readonly IReadOnlyList<LabelFamily> LabelFamilies =
    [
        new("largest-shape", "shape of the largest object", ["disc", "square", "triangle", "ring"]),
        new("object-count", "number of objects", ["1", "2", "3", "4"]),
        new("largest-quadrant", "quadrant of the largest object's centre", ["top-left", "top-right", "bottom-left", "bottom-right"]),
        new("topmost-shape", "shape of the object drawn on top", ["disc", "square", "triangle", "ring"]),
    ];

    public static readonly IReadOnlyList<string> Domains = ["synthetic", "textured", "noisy-photo", "fog"];

    public static LabelFamily? FindLabelFamily(string name) => LabelFamilies.FirstOrDefault(f => f.Name == name);

    /// <summary>Default split sizes (ml-spec.md): source classification, target classification, dense.</summary>
    public static (int Train, int Validation, int Test) DefaultSplits(string kind) => kind switch
    {
        Specs.Kinds.Pretrain => (2000, 500, 2000),
        Specs.Kinds.Multitask => (2000, 500, 1000),
        _ => (1000, 500, 2000),
    };
}

/// <summary>A classification label family.</summary>
public sealed record LabelFamily(string Name, string Description, IReadOnlyList<string> Classes);
