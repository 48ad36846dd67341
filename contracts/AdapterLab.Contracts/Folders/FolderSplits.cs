using System.Text;

namespace AdapterLab.Contracts.Folders;

/// <summary>
/// How a folder dataset's images fall into splits and few-label views — pure functions of each image's relative path,
/// shared by the agent (which trains on them), the importer (which states the counts in its manifest) and the web.
/// <list type="bullet">
/// <item>Split: a seeded hash of the path mapped to [0, 1): 80 % train, 10 % validation, 10 % test. Adding files never
/// moves existing ones; the test split is every image whose hash lands there, and no training run ever reads it.</item>
/// <item>Few-label view (<c>data.perClass</c>): per class, the images first in <see cref="ViewOrder"/>, a second
/// independent hash, so the view of 10 per class lies inside the view of 100.</item>
/// </list>
/// </summary>
public static class FolderSplits
{
    /// <summary>Seed of the split hash. Changing it reshuffles every folder dataset's splits.</summary>
    public const ulong SplitSeed = 0x5EED_F01D_E12A_5E75;

    public const double TrainFraction = 0.8, ValidationFraction = 0.1;

    /// <summary>0 train, 1 validation, 2 test.</summary>
    public static int SplitIndexOf(string relativePath)
    {
        double u = (Mix(relativePath, SplitSeed) >> 11) * (1.0 / (1UL << 53));
        return u < TrainFraction ? 0 : u < TrainFraction + ValidationFraction ? 1 : 2;
    }

    /// <summary>The order in which few-label views pick a class's images.</summary>
    public static ulong ViewOrder(string relativePath) => Mix(relativePath, SplitSeed ^ 0x0F3E_1AB3_15EE_D000);

    /// <summary>FNV-1a over the UTF-8 path ('/'-separated), then a SplitMix64 finaliser with <paramref name="seed"/> mixed in.</summary>
    private static ulong Mix(string relativePath, ulong seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(relativePath.Replace('\\', '/')))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        ulong z = h ^ seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
