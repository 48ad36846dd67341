using AdapterLab.Training.Datasets.ShapesWorld;

namespace AdapterLab.Training.Runs;

/// <summary>
/// The sample order of a run: an endless stream of per-epoch permutations, each a pure function of (seed, epoch).
/// Batch k is positions [k·B, (k+1)·B) of the stream, so the data position is fully determined by the step and a
/// resumed run sees exactly the batches an uninterrupted one would.
/// </summary>
public sealed class DataOrder(int seed, int count, int batchSize)
{
    private int cachedEpoch = -1;
    private int[] permutation = [];

    public int BatchSize => batchSize;

    /// <summary>Samples consumed before <paramref name="step"/> (stored in checkpoints as the data position).</summary>
    public long Position(long step) => step * batchSize;

    public int[] Batch(long step)
    {
        var rows = new int[batchSize];
        long position = Position(step);
        for (int i = 0; i < batchSize; i++, position++)
        {
            int epoch = (int)(position / count);
            if (epoch != cachedEpoch)
            {
                permutation = Permutation(epoch);
                cachedEpoch = epoch;
            }
            rows[i] = permutation[position % count];
        }
        return rows;
    }

    private int[] Permutation(int epoch)
    {
        var p = Enumerable.Range(0, count).ToArray();
        var rng = SplitMix64.For((ulong)seed, (ulong)epoch, 0xDA7AUL);
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
