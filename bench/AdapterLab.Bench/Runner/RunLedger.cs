using System.Text.Json;

namespace AdapterLab.Bench.Runner;

/// <summary>
/// Remembers which experiment each benchmark run was submitted as, so an interrupted benchmark resumes where it stopped
/// instead of training everything again.
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

    public bool TryGet(string key, out Guid id) => _runs.TryGetValue(key, out id);

    public void Record(string key, Guid id)
    {
        _runs[key] = id;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        File.WriteAllText(_path, JsonSerializer.Serialize(_runs, new JsonSerializerOptions { WriteIndented = true }));
    }

    public void Forget(string key)
    {
        if (_runs.Remove(key)) File.WriteAllText(_path, JsonSerializer.Serialize(_runs, new JsonSerializerOptions { WriteIndented = true }));
    }
}
