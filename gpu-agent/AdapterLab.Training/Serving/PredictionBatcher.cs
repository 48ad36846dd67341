using System.Diagnostics;
using System.Threading.Channels;
using TorchSharp;
using static TorchSharp.torch;

namespace AdapterLab.Training.Serving;

/// <summary>
/// Serves prediction requests in mixed batches: requests that arrive within <see cref="Window"/> of the first one (up to
/// <see cref="MaxImages"/> images) are grouped by backbone, and each backbone's requests run as one
/// <see cref="MixedBatch"/> — the frozen layers once for all of them, each adapter on its own rows. One worker thread
/// owns torch and the <see cref="AdapterCache"/>; callers only queue pixels and await their probabilities.
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
    public Task<float[][]> PredictAsync(string adapterKey, string backboneSha256, float[] pixels, int count, CancellationToken ct = default)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), "at least one image");
        var pending = new Pending(adapterKey, backboneSha256, pixels, count, new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(PredictionBatcher));
        ct.Register(() => pending.Done.TrySetCanceled(ct));
        return pending.Done.Task;
    }

    private void Run(int threads)
    {
        if (threads > 0) torch.set_num_threads(threads);
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
                    if (next.Done.Task.IsCompleted) continue; // cancelled while queued
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
            foreach (var group in batch.GroupBy(p => p.BackboneSha256, StringComparer.OrdinalIgnoreCase))
                Serve(group.OrderBy(p => p.AdapterKey, StringComparer.Ordinal).ToList());
        }
    }

    /// <summary>One forward pass for every request on one backbone; each request gets its rows' probabilities (or its error).</summary>
    private void Serve(List<Pending> requests)
    {
        try
        {
            var backbone = cache.Backbone(requests[0].BackboneSha256);
            var keep = requests.Select(r => r.AdapterKey).ToHashSet(StringComparer.Ordinal);
            var served = new List<Pending>(requests.Count);
            var groups = new List<RowGroup>(requests.Count);
            foreach (var r in requests)
            {
                try
                {
                    var adapter = cache.Adapter(r.AdapterKey, keep);
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
            int s = backbone.ImageSize;
            var all = new float[served.Sum(r => r.Pixels.LongLength)];
            long offset = 0;
            foreach (var r in served)
            {
                Array.Copy(r.Pixels, 0, all, offset, r.Pixels.LongLength);
                offset += r.Pixels.LongLength;
            }
            var device = backbone.Device;
            var pixels = torch.tensor(all, [all.LongLength / (3L * s * s), 3, s, s]).to(device);
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

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await Task.Run(() => worker.Join());
        cache.Dispose();
    }

    private sealed record Pending(string AdapterKey, string BackboneSha256, float[] Pixels, int Count, TaskCompletionSource<float[][]> Done);
}
