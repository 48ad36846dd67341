using AdapterLab.DataImport;
using AdapterLab.DataImport.Recipes;

// ./platform data import NAME | ./platform data list — the launcher passes --data-root (the agents' data root).
var dataRoot = Option("--data-root") ?? Environment.GetEnvironmentVariable("ADAPTERLAB_DATA_ROOT");
var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

switch (positional)
{
    case ["list"]:
        foreach (var r in ImportRecipes.All)
        {
            var state = dataRoot is not null && AdapterLab.Contracts.Folders.DatasetManifest.TryRead(Path.Combine(dataRoot, r.Name)) is { } m
                ? $"imported: {m.Images:N0} images" : "not imported";
            Console.WriteLine($"{r.Name,-14} {r.Package}@{r.Version} ({r.Licence}) — {r.Description} [{state}]");
        }
        return 0;
    case ["import", var name]:
        var recipe = ImportRecipes.Find(name);
        if (recipe is null)
        {
            Console.Error.WriteLine($"data import: unknown dataset '{name}'; known: {string.Join(", ", ImportRecipes.All.Select(r => r.Name))}");
            return 2;
        }
        if (dataRoot is null)
        {
            Console.Error.WriteLine("data import: no data root (--data-root DIR)");
            return 2;
        }
        try
        {
            await DatasetImporter.ImportAsync(recipe, dataRoot, Console.Out, cts.Token, Option("--package"));
            return 0;
        }
        catch (ImportException ex)
        {
            Console.Error.WriteLine($"data import: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("data import: cancelled; nothing was written to the data root");
            return 1;
        }
    default:
        Console.Error.WriteLine("usage: data list | data import NAME [--data-root DIR] [--package NAME@VERSION|FILE]");
        return 2;
}

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
