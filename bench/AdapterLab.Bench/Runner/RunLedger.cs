using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// Remembers which experiment each benchmark run was submitted as, so an interrupted benchmark resumes where it stopped
/// instead of training everything again (on this platform: across checkouts, <see cref="RunArchive"/>). Safe to use from
/// concurrent tasks.
/// </summary>
public sealed class RunLedger
{
    private readonly string _path;
    private readonly Dictionary<string, Guid> _runs;

    public RunLedger(string path)
    {
        _path = path;
        _runs = File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, Guid>>(File.ReadAllText(path)) ?? [] : [];
    }

    private readonly Lock _gate = new();

    public bool TryGet(string key, out Guid id)
    {
        lock (_gate) return _runs.TryGetValue(key, out id);
    }

    public void Record(string key, Guid id)
    {
        lock (_gate)
        {
            _runs[key] = id;
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            File.WriteAllText(_path, JsonSerializer.Serialize(_runs, new JsonSerializerOptions { WriteIndented = true }));
        }
    }
}
