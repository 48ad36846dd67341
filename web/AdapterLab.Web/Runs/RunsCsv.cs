using System.Globalization;
using System.Text;
using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Runs;

/// <summary>
/// CSV of the runs table's current view: the filter, sort and columns of the list, every matching run (up to
/// <see cref="MaxRows"/>), streamed page by page so memory stays flat. Cells that a spreadsheet would read as a formula
/// (leading <c>= + - @</c> in text) are prefixed with an apostrophe; numbers are written in full, invariant.
/// </summary>
public static class RunsCsv
{
    public const int MaxRows = 100_000;
    private const int PageSize = 200;

    private static readonly string[] Fixed = ["id", "name", "kind", "method", "status", "tags", "owner", "trainableParameters", "submittedAt", "finishedAt"];

    public static async Task WriteAsync(Stream output, ExperimentSearch search, ExperimentFilter filter, ExperimentPageRequest request, CancellationToken ct)
    {
        var columns = request.Columns ?? [];
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await writer.WriteLineAsync(string.Join(",", Fixed.Concat(columns.Select(c => c.Text)).Select(Cell)));
        int written = 0, pageIndex = 0;
        ExperimentCursor? cursor = null;
        while (written < MaxRows)
        {
            var page = await search.SearchAsync(filter, request with { PageSize = PageSize, PageIndex = cursor is null ? pageIndex : 0, Cursor = cursor, CountTotal = false }, ct);
            foreach (var r in page.Items)
            {
                var cells = new List<string>
                {
                    r.Id.ToString(), Cell(r.Name), Cell(r.Kind), Cell(r.Method), Cell(r.Status), Cell(string.Join(" ", r.Tags)), Cell(r.Owner),
                    r.TrainableParameters.ToString(CultureInfo.InvariantCulture), r.SubmittedAt.ToString("O", CultureInfo.InvariantCulture),
                    r.FinishedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "",
                };
                foreach (var c in columns) cells.Add(Cell(RunColumns.Raw(r.Values?.GetValueOrDefault(c.Text))));
                await writer.WriteLineAsync(string.Join(",", cells));
                if (++written >= MaxRows) break;
            }
            if (page.Items.Count < PageSize) break;
            if (request.IsKeysetOrder)
            {
                if (page.NextCursor is null) break;
                cursor = page.NextCursor;
            }
            else if (++pageIndex >= ExperimentListQuery.MaxPage) break;
            await writer.FlushAsync(ct);
        }
    }

    /// <summary>One CSV cell: quoted when it holds a comma, quote or line break; formula-looking text defused.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
