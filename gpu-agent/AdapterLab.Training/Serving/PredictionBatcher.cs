using System.Diagnostics;
using System.Threading.Channels;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// Serves prediction requests in mixed batches: requests that arrive within <see cref="Window"/> of the first one (up to
/// <see cref="MaxImages"/> images) are grouped by backbone, and each backbone's requests run as one
/// <see cref="MixedBatch"/> — the frozen layers once for all of them, each adapter on its own rows; requests for a dense
/// model (<see cref="ServedDenseModel"/>) in the same window run as one pass per model. One worker thread owns torch and
/// the <see cref="AdapterCache"/>; callers only queue pixels and await their probabilities or maps.
/// </summary>
public sealed class PredictionBatcher : IAsyncDisposable
{
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AdapterCache cache;
    private readonly Thread worker;
    private long batches, images;

    public PredictionBatcher(AdapterCache cache, TimeSpan window, int maxImages = 64, int threads = 0)
    {
        this.cache = cache;
        Window = window;
        MaxImages = maxImages;
        worker = new Thread(() => Run(threads)) { IsBackground = true, Name = "prediction-batcher" };
        worker.Start();
    }

    public TimeSpan Window { get; }
    public int MaxImages { get; }

    /// <summary>Forward passes run so far (one per backbone per batch).</summary>
    public long Batches => Interlocked.Read(ref batches);

    /// <summary>Images served so far.</summary>
    public long Images => Interlocked.Read(ref images);

    /// <summary>
    /// Class probabilities for <paramref name="count"/> images (normalised CHW floats, <paramref name="pixels"/> holding
    /// count × 3 × S × S at the backbone's size S) under the adapter served as <paramref name="adapterKey"/> on the backbone
    /// hashed <paramref name="backboneSha256"/>.
    /// </summary>
    public Task<float[][]> PredictAsync(string adapterKey, string backboneSha256, float[] pixels, int count, CancellationToken ct = default) =>
        Enqueue(new Classify(adapterKey, backboneSha256, pixels, count), ct);

    /// <summary>Every task's map for <paramref name="count"/> images under the dense model served as <paramref name="modelKey"/> (see <see cref="ServedDenseModel.Predict"/>).</summary>
    public Task<IReadOnlyList<IReadOnlyDictionary<string, float[]>>> PredictDenseAsync(string modelKey, float[] pixels, int count, CancellationToken ct = default) =>
        Enqueue(new Dense(modelKey, pixels, count), ct);

    private Task<T> Enqueue<T>(Pending<T> pending, CancellationToken ct)
    {
        if (pending.Count <= 0) throw new ArgumentOutOfRangeException("count", "at least one image");
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(PredictionBatcher));
        ct.Register(() => pending.Done.TrySetCanceled(ct));
        return pending.Done.Task;
    }

    private void Run(int threads)
    {
        Native.TorchThreads.Use(threads);
        var reader = queue.Reader;
        var batch = new List<Pending>();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            int held = 0;
            var clock = Stopwatch.StartNew();
            // The first request opens the window; later ones join until it closes or the batch is full.
            while (held < MaxImages)
            {
                if (reader.TryRead(out var next))
                {
                    if (next.Settled) continue; // cancelled while queued
                    if (batch.Count == 0) clock.Restart();
                    batch.Add(next);
                    held += next.Count;
                    continue;
                }
                if (batch.Count == 0) break;
                var left = Window - clock.Elapsed;
                if (left <= TimeSpan.Zero || !reader.WaitToReadAsync().AsTask().Wait(left)) break;
                if (reader.Completion.IsCompleted) break;
            }
            foreach (var group in batch.OfType<Classify>().GroupBy(p => p.BackboneSha256, StringComparer.OrdinalIgnoreCase))
                Serve(group.OrderBy(p => p.Key, StringComparer.Ordinal).ToList());
            foreach (var group in batch.OfType<Dense>().GroupBy(p => p.Key, StringComparer.Ordinal))
                ServeDense(group.ToList());
        }
    }

    /// <summary>One forward pass for every request on one backbone; each request gets its rows' probabilities (or its error).</summary>
    private void Serve(List<Classify> requests)
    {
        try
        {
            var backbone = cache.Backbone(requests[0].BackboneSha256);
            var keep = requests.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            var served = new List<Classify>(requests.Count);
            var groups = new List<RowGroup>(requests.Count);
            foreach (var r in requests)
            {
                try
                {
                    var adapter = cache.Adapter(r.Key, keep);
                    if (adapter.IncompatibilityWith(backbone) is { } why) throw new ArgumentException(why);
                    long expected = (long)r.Count * 3 * backbone.ImageSize * backbone.ImageSize;
                    if (r.Pixels.LongLength != expected)
                        throw new ArgumentException($"{r.Count} image(s) at {backbone.ImageSize}² need {expected} values, got {r.Pixels.LongLength}");
                    served.Add(r);
                    groups.Add(new RowGroup(adapter, r.Count));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    r.Done.TrySetException(ex);
                }
            }
            if (served.Count == 0) return;
            using var scope = torch.NewDisposeScope();
            var pixels = Stack(served, backbone.ImageSize).to(backbone.Device);
            var logits = MixedBatch.Forward(backbone, pixels, groups);
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref images, served.Sum(r => r.Count));
            for (int i = 0; i < served.Count; i++)
            {
                using var probabilities = logits[i].softmax(-1).cpu();
                int classes = (int)probabilities.shape[1];
                var flat = probabilities.data<float>().ToArray();
                var rows = new float[served[i].Count][];
                for (int row = 0; row < rows.Length; row++) rows[row] = flat.AsSpan(row * classes, classes).ToArray();
                served[i].Done.TrySetResult(rows);
                logits[i].Dispose();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            foreach (var r in requests) r.Done.TrySetException(ex);
        }
        finally
        {
            cache.Trim();
        }
    }

    /// <summary>One forward pass of a dense model for every request queued for it; each request gets its images' maps (or the error).</summary>
    private void ServeDense(List<Dense> requests)
    {
        try
        {
            var model = cache.Dense(requests[0].Key, new HashSet<string>(StringComparer.Ordinal) { requests[0].Key });
            long expected = 3L * model.ImageSize * model.ImageSize;
            var served = new List<Dense>(requests.Count);
            foreach (var r in requests)
            {
                if (r.Pixels.LongLength != r.Count * expected)
                    r.Done.TrySetException(new ArgumentException($"{r.Count} image(s) at {model.ImageSize}² need {r.Count * expected} values, got {r.Pixels.LongLength}"));
                else served.Add(r);
            }
            if (served.Count == 0) return;
            using var scope = torch.NewDisposeScope();
            var maps = model.Predict(Stack(served, model.ImageSize));
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref images, served.Sum(r => r.Count));
            int row = 0;
            foreach (var r in served)
            {
                r.Done.TrySetResult(maps.Skip(row).Take(r.Count).ToList());
                row += r.Count;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            foreach (var r in requests) r.Done.TrySetException(ex);
        }
        finally
        {
            cache.Trim();
        }
    }

    /// <summary>The requests' images one after another as one [N, 3, S, S] tensor on the CPU.</summary>
    private static Tensor Stack(IReadOnlyList<Pending> requests, int size)
    {
        var all = new float[requests.Sum(r => r.Pixels.LongLength)];
        long offset = 0;
        foreach (var r in requests)
        {
            Array.Copy(r.Pixels, 0, all, offset, r.Pixels.LongLength);
            offset += r.Pixels.LongLength;
        }
        return torch.tensor(all, [all.LongLength / (3L * size * size), 3, size, size]);
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await Task.Run(() => worker.Join());
        cache.Dispose();
    }

    /// <summary>A queued request: the model it is for, its images, and whether its caller is still waiting.</summary>
    private abstract record Pending(string Key, float[] Pixels, int Count)
    {
        public abstract bool Settled { get; }
    }

    private abstract record Pending<T>(string Key, float[] Pixels, int Count) : Pending(Key, Pixels, Count)
    {
        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override bool Settled => Done.Task.IsCompleted;
    }

    private sealed record Classify(string Key, string BackboneSha256, float[] Pixels, int Count) : Pending<float[][]>(Key, Pixels, Count);

    private sealed record Dense(string Key, float[] Pixels, int Count) : Pending<IReadOnlyList<IReadOnlyDictionary<string, float[]>>>(Key, Pixels, Count);
}
