using System.Diagnostics;
using AdapterLab.Bench.Perf;
using AdapterLab.Contracts.Catalogue;
using AdapterLab.Contracts.Specs;
using AdapterLab.Training.Classification;
using AdapterLab.Training.Model;
using AdapterLab.Training.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Bench.Scenarios.Perf;

/// <summary>
/// Serving many adapters on one frozen backbone (issue 27), in process on CPU, every figure a ratio within one run:
/// images/s of a batch of 64 mixing 8 adapters (AdaptFormer ×2, LoRA ×2, VPT shallow and deep, BitFit, a linear probe)
/// against 64 images of one adapter (target ≥ 0.8×) and against the same 64 images as 8 separate batches of 8 (≥ 1.0×),
/// measured interleaved — on <c>vit-lab-s</c> and on <c>vit-tiny-ci</c>, the preset the reports train and the registry serves
/// (a smoke run: <c>vit-tiny-ci</c> only); request latency p50/p99 through the batcher at a fixed Poisson arrival rate (half the capacity
/// of one-image passes, so the server is never overloaded and batching can only help); and the memory each extra adapter held costs (RSS growth per adapter against its tensor bytes).
/// </summary>
public sealed class PerfServingScenario(string resultsDir, bool quick) : IScenario
{
    public string Name => "perf-serving";

    private const string Sha = "0000000000000000000000000000000000000000000000000000000000bench0";

    private static readonly (string Key, string Method, MethodSpec Options)[] Mix =
    [
        ("adaptformer-a", Methods.AdaptFormer, new MethodSpec { Bottleneck = 64 }),
        ("adaptformer-b", Methods.AdaptFormer, new MethodSpec { Bottleneck = 16, Placement = "sequential" }),
        ("lora-a", Methods.Lora, new MethodSpec { Rank = 8 }),
        ("lora-b", Methods.Lora, new MethodSpec { Rank = 4 }),
        ("vpt-shallow", Methods.VptShallow, new MethodSpec { PromptTokens = 10 }),
        ("vpt-deep", Methods.VptDeep, new MethodSpec { PromptTokens = 5 }),
        ("bitfit", Methods.BitFit, new MethodSpec()),
        ("probe", Methods.LinearProbe, new MethodSpec()),
    ];

    public async Task RunAsync(CancellationToken ct)
    {
        var report = new PerfReport(Name, quick);
        torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
        string presetName = quick ? "vit-tiny-ci" : "vit-lab-s";
        using var main = new Loaded(ModelCatalogue.Get(presetName));
        var (preset, source, backbone, adapters, pixels) = (main.Preset, main.Source, main.Backbone, main.Adapters, main.Pixels);

        // Memory per extra adapter held: RSS growth over 48 more AdaptFormer (d̂ = 64) adapters against their tensor bytes —
        // first, before any forward pass has left freed activations in the allocator for the new tensors to reuse.
        const int extra = 48;
        using (var cache = new AdapterCache(source, long.MaxValue))
        {
            cache.Adapter("adaptformer-a");
            long before = Rss();
            for (int i = 0; i < extra; i++) cache.Adapter($"adaptformer-a#{i}");
            long after = Rss();
            double perAdapter = (after - before) / (double)extra;
            long bytes = adapters["adaptformer-a"].Bytes;
            report.Add(new Figure("memory per extra adapter held (AdaptFormer d̂ 64)", perAdapter / 1024.0, "KiB")
            {
                Reference = "its tensor bytes", ReferenceValue = bytes / 1024.0, Ratio = perAdapter / bytes, Target = "≤ 1.5", Met = perAdapter / bytes <= 1.5,
                Repeats = extra, Note = $"backbone held once: {backbone.Bytes / 1048576.0:0.0} MiB",
            });
        }
        int rounds = quick ? 5 : 20;
        double single = Throughput(report, main, rounds);
        // The same figures on the preset the reports train (and so the registry serves) when the main one is larger: how
        // much mixing gains depends on how far a batch of 8 is from filling the CPU.
        if (!quick)
        {
            using var small = new Loaded(ModelCatalogue.Get("vit-tiny-ci"));
            Throughput(report, small, rounds);
        }

        // Latency at a fixed arrival rate: one-image requests for a random adapter of the eight, Poisson arrivals at half
        // the capacity of one-image forward passes (a load the server sustains without batching), through the batcher
        // (5 ms window) as the inference host runs it.
        double rate = Math.Max(1, 0.5 * single);
        int requests = quick ? 100 : 600;
        var latencies = new double[requests];
        await using (var batcher = new PredictionBatcher(new AdapterCache(source, long.MaxValue), TimeSpan.FromMilliseconds(5)))
        {
            var random = new Random(27);
            int per = 3 * preset.ImageSize * preset.ImageSize;
            var image = pixels.narrow(0, 0, 1).data<float>().ToArray();
            // Steady state: every adapter loaded (and the code paths warm) before the clock starts.
            foreach (var m in Mix) await batcher.PredictAsync(m.Key, Sha, image, 1, ct);
            var tasks = new List<Task>(requests);
            var clock = Stopwatch.StartNew();
            double next = 0;
            for (int i = 0; i < requests; i++)
            {
                next += -Math.Log(1 - random.NextDouble()) / rate;
                var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                int index = i;
                string key = Mix[random.Next(Mix.Length)].Key;
                long t0 = Stopwatch.GetTimestamp();
                tasks.Add(batcher.PredictAsync(key, Sha, image, 1, ct).ContinueWith(_ => latencies[index] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds, ct));
            }
            await Task.WhenAll(tasks);
            var latency = Distribution.Of(latencies);
            report.Add(new Figure($"request latency p50 at {rate:0} requests/s (1 image, 8 adapters)", latency.Median, "ms") { Repeats = requests });
            report.Add(new Figure($"request latency p99 at {rate:0} requests/s (1 image, 8 adapters)", latency.P99, "ms")
            {
                Repeats = requests, Note = $"{batcher.Images / (double)Math.Max(1, batcher.Batches):0.0} images per forward pass on average",
            });
        }

        report.Note("CPU, one process; larger gains from mixing are a GPU goal (a batch of 8 does not fill a GPU), not checked here.");
        await report.WriteAsync(resultsDir, ct);
    }

    /// <summary>
    /// Images/s of the mixed batch against one adapter's and against 8 separate batches of 8, with the controls, measured
    /// interleaved on <paramref name="loaded"/>'s preset; returns the one-image pass rate (images/s).
    /// </summary>
    private static double Throughput(PerfReport report, Loaded loaded, int rounds)
    {
        var (presetName, source, backbone, adapters, pixels) = (loaded.Preset.Name, loaded.Source, loaded.Backbone, loaded.Adapters, loaded.Pixels);
        var mixed = Mix.Select(m => new RowGroup(adapters[m.Key], 8)).ToList();
        var one = new List<RowGroup> { new(adapters["adaptformer-a"], 64) };
        var eights = Enumerable.Range(0, 8).Select(i => pixels.narrow(0, 8 * i, 8)).ToArray();
        void Run(IReadOnlyList<RowGroup> groups, Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            foreach (var t in MixedBatch.Forward(backbone, x, groups)) t.Dispose();
        }
        var model = source.Model("adaptformer-a");
        var timed = Measure.Interleaved(
        [
            ("mixed", () => Run(mixed, pixels)),
            ("one adapter", () => Run(one, pixels)),
            ("8 batches of 8", () => { for (int i = 0; i < 8; i++) Run([new RowGroup(adapters[Mix[i].Key], 8)], eights[i]); }),
            ("one adapter, 8 batches of 8", () => { for (int i = 0; i < 8; i++) Run([new RowGroup(adapters["adaptformer-a"], 8)], eights[i]); }),
            ("model alone", () => { using var _ = torch.no_grad(); using var y = model.forward(pixels); }),
            ("one image", () => Run([new RowGroup(adapters["adaptformer-a"], 1)], eights[0].narrow(0, 0, 1))),
        ], rounds, warmup: 2);
        double Ips(string name) => 64 / timed[name].Median;
        report.Add(new Figure($"{presetName} batch of 64 mixing 8 adapters", Ips("mixed"), "images/s")
        {
            Reference = "64 images of one adapter", ReferenceValue = Ips("one adapter"), Ratio = Ips("mixed") / Ips("one adapter"),
            Target = "≥ 0.8", Met = Ips("mixed") / Ips("one adapter") >= 0.8, Repeats = rounds,
        });
        report.Add(new Figure($"{presetName} batch of 64 mixing 8 adapters", Ips("mixed"), "images/s")
        {
            Reference = "8 separate batches of 8", ReferenceValue = Ips("8 batches of 8"), Ratio = Ips("mixed") / Ips("8 batches of 8"),
            Target = "≥ 1.0", Met = Ips("mixed") / Ips("8 batches of 8") >= 1.0, Repeats = rounds,
        });
        report.Add(new Figure($"{presetName} one adapter, batch of 64", Ips("one adapter"), "images/s")
        {
            Reference = "the same adapter in 8 batches of 8", ReferenceValue = Ips("one adapter, 8 batches of 8"), Ratio = Ips("one adapter") / Ips("one adapter, 8 batches of 8"),
            Repeats = rounds, Note = "the control for the ≥ 1.0 target: what batching alone gains on this CPU, with no mixing at all",
        });
        report.Add(new Figure($"{presetName} one adapter through the serving path", Ips("one adapter"), "images/s")
        {
            Reference = "its own VisionTransformer.forward", ReferenceValue = Ips("model alone"), Ratio = Ips("one adapter") / Ips("model alone"),
            Repeats = rounds, Note = "the functional serving forward against the training module (overhead of the per-row machinery)",
        });

        double single = 1 / timed["one image"].Median;
        report.Add(new Figure($"{presetName} one image per forward pass", single, "images/s")
        {
            Reference = "64 images of one adapter", ReferenceValue = Ips("one adapter"), Ratio = single / Ips("one adapter"), Repeats = rounds,
            Note = "the capacity the latency figures' arrival rate is half of",
        });
        return single;
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Measure.RssBytes();
    }

    /// <summary>A preset's served backbone, its eight adapters and a batch of 64 random images.</summary>
    private sealed class Loaded : IDisposable
    {
        public Loaded(BackbonePreset preset)
        {
            Preset = preset;
            Source = new Source(preset);
            Backbone = Source.LoadBackbone(Sha);
            Adapters = Mix.ToDictionary(m => m.Key, m => Source.LoadAdapter(m.Key));
            Pixels = torch.randn(64, 3, preset.ImageSize, preset.ImageSize, generator: Source.Generator);
        }

        public BackbonePreset Preset { get; }
        public Source Source { get; }
        public ServedBackbone Backbone { get; }
        public Dictionary<string, ServedAdapter> Adapters { get; }
        public Tensor Pixels { get; }

        public void Dispose()
        {
            foreach (var a in Adapters.Values) a.Dispose();
            Pixels.Dispose();
            Backbone.Dispose();
            Source.Dispose();
        }
    }

    /// <summary>The eight adapters on one random backbone of the preset; <c>key#n</c> is another copy of <c>key</c>.</summary>
    private sealed class Source : IServingSource, IDisposable
    {
        private readonly Dictionary<string, (string Method, PreparedModel Prepared, ClassificationPlan Plan)> models = new();
        private readonly VisionTransformer plain;

        public Source(BackbonePreset preset)
        {
            Generator = new Generator(27, torch.CPU);
            plain = new VisionTransformer(new VisionTransformerOptions(preset, preset.ImageSize, 1), null);
            int seed = 1;
            foreach (var (key, method, options) in Mix)
            {
                var spec = new ExperimentSpec
                {
                    Kind = Kinds.Adapt,
                    Backbone = new BackboneSpec { Preset = preset.Name, Source = BackboneSources.Random },
                    Method = options with { Name = method },
                    Tasks = [Tasks.Classification],
                    Data = new DataSpec { LabelFamily = "object-count", SourceDomain = "textured" },
                    Training = new TrainingSpec { Steps = 10, BatchSize = 64, Seed = seed++ },
                };
                var plan = ClassificationPlan.From(spec);
                var prepared = PreparedModel.Build(plan, null, torch.CPU);
                prepared.Model.eval();
                models[key] = (method, prepared, plan);
            }
        }

        public Generator Generator { get; }

        public VisionTransformer Model(string key) => models[key].Prepared.Model;

        public ServedBackbone LoadBackbone(string sha256) => ServedBackbone.From(plain, sha256, torch.CPU);

        public ServedAdapter LoadAdapter(string key)
        {
            var (method, prepared, plan) = models[key.Split('#')[0]];
            return ServedAdapter.From(key, method, prepared.Model, plan.IsTrainable, Sha, torch.CPU);
        }

        public void Dispose()
        {
            foreach (var m in models.Values) m.Prepared.Dispose();
            plain.Dispose();
            Generator.Dispose();
        }
    }
}
