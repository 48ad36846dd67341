using System.Globalization;
using AdapterLab.Bench.Runner;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;

namespace AdapterLab.Bench.Scenarios.Adapters;

/// <summary>
/// What the classification report runs (ml-spec, "what must reproduce" 2 and 6), sized for 2 CPU cores on <c>vit-tiny-ci</c>:
/// <list type="bullet">
/// <item><b>Cells</b>: ShapesWorld tasks A (<c>disc-count</c>) and B (<c>largest-quadrant</c>) — label families the
/// pretraining stream never trained — in the domain it never saw (<c>fog</c>): 1,000 labelled training scenes, 500
/// validation, 4,000 test, on the stream-supervised backbone; and the imported MNIST digits with 100 and 10 labels per class
/// on the MNIST MAE backbone and on the ShapesWorld stream backbone.</item>
/// <item><b>Learning rates</b>: per method and grid cell (A, B, MNIST 100/class on the MAE backbone) the grid of
/// <see cref="AdapterLab.Statistics.LearningRateGrid"/> over the method's default, 2 seeds, chosen on validation; the other
/// MNIST cells use the MNIST grid's choice.</item>
/// <item><b>Seeds</b>: 5 per configuration at its chosen rate (the grid's two seeds reused); the linear probe on a random
/// backbone is the gates' control.</item>
/// <item><b>Gates first</b>: a cell trains its probe and full fine-tuning (and the random-backbone probe) first; only when
/// they pass the margin gates does it train the other methods — a cell that cannot be judged costs little.</item>
/// <item><b>Task C</b>, registered on 2026-12-06 before any of its runs, after A and B failed their gates on this backbone
/// (A: full fine-tuning only 4.5 points over the probe with 1,000 labels; B: the probe 11.5 points over a random backbone's,
/// lower bound 9.7): the family of A (<c>disc-count</c>, <c>fog</c>, same validation and test sizes) with
/// <see cref="CountingTrainSize"/> labelled scenes. A frozen probe's 485 parameters do not need more labels; full
/// fine-tuning's 459,000 may — A's fine-tuned model never predicted two discs, which were 10 % of its 1,000 scenes. Chosen
/// by the gates' needs alone: no finding of any ShapesWorld cell has been computed. A and B stay in the report with
/// their failed gates.</item>
/// <item><b>Sweeps</b> on task C (<see cref="SweepCell"/>): AdaptFormer d̂ ∈ {1, 2, 4, 8, 16, 32, 64} and sequential placement;
/// VPT-deep tokens ∈ {1, 5, 10, 50}. They were registered on B (full fine-tuning's 35-point lead over the probe there
/// leaves adapters room); B failed its gates before any sweep run, so they move to C, the cell registered in its place.</item>
/// </list>
/// <c>--quick</c> (≤ 10 minutes, a smoke run of the pipeline, not a result): short runs, small test splits, two seeds, a
/// two-point grid on task A only, d̂ {2, 8}, tokens {1, 5}, the four methods the findings name, MNIST 100/class at the defaults.
/// </summary>
public sealed class AdaptersProtocol(bool quick)
{
    public bool Quick => quick;
    public int Steps => quick ? 60 : 400;
    public int BatchSize => 64;
    public int TrainSize => quick ? 256 : 1000;
    /// <summary>Task C's labelled training scenes.</summary>
    public const int CountingTrainSize = 4000;
    public int ValidationSize => quick ? 128 : 500;
    public int TestSize => quick ? 512 : 4000;
    public IReadOnlyList<int> Seeds => quick ? [1, 2] : [1, 2, 3, 4, 5];
    public IReadOnlyList<int> GridSeeds => quick ? [1] : [1, 2];
    public IReadOnlyList<double> InitialGrid => quick ? [0.3, 3] : AdapterLab.Statistics.LearningRateGrid.Initial;
    public IReadOnlyList<int> Bottlenecks => quick ? [2, 8] : [1, 2, 4, 8, 16, 32, 64];
    public IReadOnlyList<int> PromptTokens => quick ? [1, 5] : [1, 5, 10, 50];
    public const int MainBottleneck = 8;
    public const int MainPromptTokens = 5;
    public const string ShapesBackbone = "stream-supervised";
    /// <summary>The cell the d̂, placement and prompt-token sweeps run on (a smoke run has only task A).</summary>
    public string SweepCell => quick ? "A" : "C";
    public const string DigitsBackbone = "mnist-mae";

    /// <summary>One dataset task: where a method is trained and tested.</summary>
    public sealed record Cell(string Key, string Title, DataSpec Data, string Domain, int Classes, string Backbone, string? GridFrom)
    {
        public bool IsShapes => Data.Dataset == Datasets.ShapesWorld;
    }

    public IReadOnlyList<Cell> Cells
    {
        get
        {
            DataSpec Shapes(string family, int? trainSize = null) => new() { LabelFamily = family, SourceDomain = ReportBackbones.HeldOutDomain, TrainSize = trainSize ?? TrainSize, ValidationSize = ValidationSize, TestSize = TestSize };
            DataSpec Digits(int k) => new() { Dataset = Datasets.Folder, Path = "mnist", PerClass = k };
            var cells = new List<Cell>
            {
                new("A", "task A: number of discs (`disc-count`) on `fog`", Shapes("disc-count"), ReportBackbones.HeldOutDomain, 5, ShapesBackbone, null),
            };
            if (!quick)
            {
                cells.Add(new("B", "task B: quadrant of the largest object (`largest-quadrant`) on `fog`", Shapes("largest-quadrant"), ReportBackbones.HeldOutDomain, 4, ShapesBackbone, null));
                cells.Add(new("C", $"task C: number of discs (`disc-count`) on `fog`, {CountingTrainSize:N0} labelled scenes", Shapes("disc-count", CountingTrainSize), ReportBackbones.HeldOutDomain, 5, ShapesBackbone, null));
            }
            cells.Add(new("mnist-100-mae", "MNIST, 100 labels per class, MNIST MAE backbone", Digits(100), "mnist", 10, DigitsBackbone, quick ? "defaults" : null));
            if (!quick)
            {
                cells.Add(new("mnist-10-mae", "MNIST, 10 labels per class, MNIST MAE backbone", Digits(10), "mnist", 10, DigitsBackbone, "mnist-100-mae"));
                cells.Add(new("mnist-100-shapes", "MNIST, 100 labels per class, ShapesWorld stream backbone", Digits(100), "mnist", 10, ShapesBackbone, "mnist-100-mae"));
                cells.Add(new("mnist-10-shapes", "MNIST, 10 labels per class, ShapesWorld stream backbone", Digits(10), "mnist", 10, ShapesBackbone, "mnist-100-mae"));
            }
            return cells;
        }
    }

    /// <summary>The methods of a cell's main table (AdaptFormer at d̂ = 8, parallel; VPT with 5 tokens); quick: the four the findings name.</summary>
    public IReadOnlyList<MethodSpec> Methods(Cell cell)
    {
        var all = AdapterLab.Contracts.Specs.Methods.Classification.Select(MainVariant).ToList();
        return quick
            ? all.Where(m => m.Name is AdapterLab.Contracts.Specs.Methods.LinearProbe or AdapterLab.Contracts.Specs.Methods.VptDeep
                or AdapterLab.Contracts.Specs.Methods.AdaptFormer or AdapterLab.Contracts.Specs.Methods.FullFinetune).ToList()
            : all;
    }

    /// <summary>A cell's gate runs: the methods its margin gates compare (the random-backbone probe runs beside them).</summary>
    public IReadOnlyList<MethodSpec> GateMethods(Cell cell) => Methods(cell).Where(IsGateMethod).ToList();

    /// <summary>The methods a cell trains only once its gates passed.</summary>
    public IReadOnlyList<MethodSpec> OtherMethods(Cell cell) => Methods(cell).Where(m => !IsGateMethod(m)).ToList();

    private static bool IsGateMethod(MethodSpec m) =>
        m.Name is AdapterLab.Contracts.Specs.Methods.LinearProbe or AdapterLab.Contracts.Specs.Methods.FullFinetune;

    public static MethodSpec MainVariant(string name) => name switch
    {
        AdapterLab.Contracts.Specs.Methods.AdaptFormer => new MethodSpec { Name = name, Bottleneck = MainBottleneck, Placement = "parallel" },
        AdapterLab.Contracts.Specs.Methods.VptShallow or AdapterLab.Contracts.Specs.Methods.VptDeep => new MethodSpec { Name = name, PromptTokens = MainPromptTokens },
        _ => new MethodSpec { Name = name },
    };

    /// <summary>The variants of the sweep cell's sweeps (beside the main AdaptFormer and VPT-deep rows).</summary>
    public IReadOnlyList<MethodSpec> SweepVariants()
    {
        var af = MainVariant(AdapterLab.Contracts.Specs.Methods.AdaptFormer);
        var vpt = MainVariant(AdapterLab.Contracts.Specs.Methods.VptDeep);
        return Bottlenecks.Where(d => d != MainBottleneck).Select(d => af with { Bottleneck = d })
            .Append(af with { Placement = "sequential" })
            .Concat(PromptTokens.Where(t => t != MainPromptTokens).Select(t => vpt with { PromptTokens = t }))
            .ToList();
    }

    /// <summary>A configuration's name in keys, tables and figures.</summary>
    public static string Describe(MethodSpec m) => m.Name switch
    {
        AdapterLab.Contracts.Specs.Methods.AdaptFormer => $"adaptformer d̂={m.Bottleneck} {m.Placement}",
        AdapterLab.Contracts.Specs.Methods.VptShallow or AdapterLab.Contracts.Specs.Methods.VptDeep => $"{m.Name} ({m.PromptTokens} tokens)",
        _ => m.Name,
    };

    public static string Key(Cell cell, string backbone, MethodSpec m, double multiplier, int seed) =>
        $"{cell.Key}|{backbone}|{Describe(m)}|x{multiplier.ToString("R", CultureInfo.InvariantCulture)}|s{seed}";

    /// <summary>The learning rate a multiplier stands for: × the method's default base rate × batch / 256.</summary>
    public double LearningRate(MethodSpec m, double multiplier) => multiplier * ClassificationPlan.BaseLearningRate(m.Name) * BatchSize / 256.0;

    public ExperimentSpec Spec(Cell cell, BackboneSpec backbone, string backboneLabel, MethodSpec m, double multiplier, int seed) => new()
    {
        Name = $"bench adapters: {Describe(m)}, {cell.Key} on {backboneLabel}, lr ×{multiplier:0.###}, seed {seed}",
        Kind = Kinds.Adapt,
        Backbone = backbone,
        Method = m,
        Data = cell.Data,
        // One evaluation, at the end (validation for the grid, test for the tables, branch ratios): an intermediate one
        // of 4,500 images costs about a tenth of a run and changes no result.
        Training = new TrainingSpec { Steps = Steps, BatchSize = BatchSize, Seed = seed, LearningRate = LearningRate(m, multiplier) },
        Tags = ["bench", "adapters"],
        Priority = quick ? Multitask.MultitaskScenario.SmokePriority : 0,
    };

    /// <summary>Trainable parameters an experiment reported (exact; tests hold them to the catalogue's formulas) as a share of the backbone's.</summary>
    public static double PercentOfBackbone(long trainable, string preset) => 100.0 * trainable / ModelCatalogue.Get(preset).BackboneParameters();
}
