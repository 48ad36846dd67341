namespace AdapterLab.Statistics;

/// <summary>
/// Ranks as ranges: an entry's rank is only as certain as the comparisons around it. Entry i ranks somewhere in
/// [1 + the entries significantly better than it, n − the entries significantly worse], with significance from an
/// unpaired test between the entries' intervals, Holm-adjusted over each entry's n − 1 comparisons.
/// </summary>
public static class Ranking
{
    public static (int Best, int Worst)[] Ranges(IReadOnlyList<Estimate> entries, bool higherIsBetter)
    {
        int n = entries.Count;
        var result = new (int, int)[n];
        for (int i = 0; i < n; i++)
        {
            var others = Enumerable.Range(0, n).Where(j => j != i).ToList();
            var diffs = others.Select(j => Comparisons.Unpaired(entries[j], entries[i])).ToList();
            var adjusted = Holm.Adjust(diffs.Select(d => d.PValue).ToList());
            int better = 0, worse = 0;
            for (int k = 0; k < others.Count; k++)
            {
                if (!(adjusted[k] < Verdict.Alpha)) continue;
                bool jAhead = (diffs[k].Estimate.Value > 0) == higherIsBetter;
                if (jAhead) better++; else worse++;
            }
            result[i] = (1 + better, n - worse);
        }
        return result;
    }
}
