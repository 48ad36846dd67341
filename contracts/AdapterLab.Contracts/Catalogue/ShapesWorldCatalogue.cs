namespace AdapterLab.Contracts.Catalogue;

/// <summary>ShapesWorld vocabulary the validator needs: label families (geometry only) and appearance domains.</summary>
public static class ShapesWorldCatalogue
{
    /// <summary>Version of the procedural generator; recorded in every attempt's provenance.</summary>
    /// <remarks>2: the <c>textured</c> domain's stripes at 24 rad per image side (period 8.4 px at 32², below a quarter of
    /// the Nyquist frequency; they were 70, period 2.9 px, aliased noise) and the pretraining stream.</remarks>
    public const string GeneratorVersion = "shapesworld-2";

    public static readonly IReadOnlyList<LabelFamily> LabelFamilies =
    [
        new("largest-shape", "shape of the largest object", ["disc", "square", "triangle", "ring"], 0.3349),
        new("object-count", "number of objects", ["1", "2", "3", "4"], 0.253),
        new("largest-quadrant", "quadrant of the largest object's centre", ["top-left", "top-right", "bottom-left", "bottom-right"], 0.3083),
        new("topmost-shape", "shape of the object drawn on top", ["disc", "square", "triangle", "ring"], 0.2562),
        new("smallest-shape", "shape of the smallest object", ["disc", "square", "triangle", "ring"], 0.3291),
        new("leftmost-shape", "shape of the object whose centre is leftmost", ["disc", "square", "triangle", "ring"], 0.2515),
        new("disc-count", "number of discs", ["0", "1", "2", "3", "4"], 0.5128),
        new("touching", "whether any two objects touch or overlap", ["no", "yes"], 0.5231),
    ];

    /// <summary>
    /// Label families kept for downstream tasks: a pretraining stream may not train on them (the validator refuses it),
    /// so a probe on them measures what a backbone learned without their labels. They need counting, position and relations.
    /// </summary>
    public static readonly IReadOnlyList<string> DownstreamLabelFamilies = ["object-count", "largest-quadrant", "disc-count", "touching"];

    /// <summary>The appearance domain a pretraining stream holds out by default (<c>data.heldOutDomains</c>).</summary>
    public const string DefaultHeldOutDomain = "fog";

    public static readonly IReadOnlyList<string> Domains = ["synthetic", "textured", "noisy-photo", "fog"];

    public static LabelFamily? FindLabelFamily(string name) => LabelFamilies.FirstOrDefault(f => f.Name == name);

    /// <summary>Joins the families of a several-head supervised pretraining (<c>data.labelFamilies</c>) into one name, <c>a+b</c>.</summary>
    public const char HeadSeparator = '+';

    public static string Composite(IEnumerable<string> families) => string.Join(HeadSeparator, families);

    /// <summary>
    /// The label heads a family name stands for: itself, or each part of a composite <c>a+b</c> (whose label is the
    /// mixed-radix number Σ label_f · Π_{g&lt;f} classes_g). Throws on an unknown family.
    /// </summary>
    public static IReadOnlyList<LabelFamily> Heads(string name) =>
        name.Split(HeadSeparator).Select(f => FindLabelFamily(f) ?? throw new ArgumentException($"unknown ShapesWorld label family '{f}'", nameof(name))).ToList();

    /// <summary>Default split sizes (ml-spec.md): source classification, target classification, dense.</summary>
    public static (int Train, int Validation, int Test) DefaultSplits(string kind) => kind switch
    {
        Specs.Kinds.Pretrain => (2000, 500, 2000),
        Specs.Kinds.Multitask => (2000, 500, 1000),
        _ => (1000, 500, 2000),
    };
}

/// <summary>A classification label family.</summary>
/// <param name="MajorityClassRate">Share of the most frequent class over the generator's scenes (measured on 20,000 train
/// scenes and checked by ShapesWorldTests): the accuracy of always answering that class.</param>
public sealed record LabelFamily(string Name, string Description, IReadOnlyList<string> Classes, double MajorityClassRate = double.NaN);
