using AdapterLab.Web.Dashboard;
using AdapterLab.Web.Experiments;

namespace AdapterLab.Web.Tests;

public sealed class ResultsMatrixTests
{
    private static ResultRun Run(string config, int seed, params (string Domain, double Value)[] acc) => new(
        Guid.NewGuid(), config, config, seed, acc.Select(a => new FinalResultView("test", "classification", a.Domain, "accuracy", a.Value)).ToList());

    [Fact]
    public void Runs_of_one_configuration_become_one_column_with_mean_and_std()
    {
        var m = ResultsMatrix.Build([Run("A", 1, ("fog", 0.5)), Run("A", 2, ("fog", 0.7)), Run("B", 1, ("fog", 0.9))], baselineKey: null);
        Assert.Equal(["A", "B"], m.Columns.Select(c => c.Key));
        Assert.Equal([1, 2], m.Columns[0].Seeds);
        var cell = m.Rows.Single().Cells[0]!;
        Assert.Equal(0.6, cell.Mean, 10);
        Assert.Equal(Math.Sqrt(0.02), cell.Std!.Value, 10);
        Assert.Equal(2, cell.N);
        Assert.Null(m.Rows.Single().Cells[1]!.Std);
    }

    [Fact]
    public void Rows_are_task_by_domain_and_a_missing_value_is_an_empty_cell()
    {
        var m = ResultsMatrix.Build([Run("A", 1, ("fog", 0.5), ("synthetic", 0.8)), Run("B", 1, ("fog", 0.6))], null);
        Assert.Equal(["fog", "synthetic"], m.Rows.Select(r => r.Domain));
        Assert.Null(m.Rows[1].Cells[1]);
    }

    [Fact]
    public void Deltas_are_seed_paired_where_the_seeds_match()
    {
        var m = ResultsMatrix.Build(
            [Run("base", 1, ("fog", 0.50)), Run("base", 2, ("fog", 0.60)), Run("new", 1, ("fog", 0.55)), Run("new", 2, ("fog", 0.70)), Run("new", 3, ("fog", 0.10))],
            baselineKey: "base");
        Assert.Equal(0, m.BaselineIndex);
        var cell = m.Rows.Single().Cells[1]!;
        Assert.Equal(2, cell.PairedSeeds);
        Assert.Equal(0.075, cell.Delta!.Value, 10); // mean of (0.05, 0.10), seed 3 has no partner
        Assert.Null(m.Rows.Single().Cells[0]!.Delta);
    }

    [Fact]
    public void Without_common_seeds_the_delta_is_the_difference_of_means()
    {
        var m = ResultsMatrix.Build([Run("base", 1, ("fog", 0.5)), Run("new", 2, ("fog", 0.8))], "base");
        var cell = m.Rows.Single().Cells[1]!;
        Assert.Equal(0, cell.PairedSeeds);
        Assert.Equal(0.3, cell.Delta!.Value, 10);
    }

    [Fact]
    public void The_best_cell_is_the_highest_accuracy_or_the_lowest_loss()
    {
        var runs = new List<ResultRun>
        {
            new(Guid.NewGuid(), "A", "A", 1, [new("test", "classification", "fog", "accuracy", 0.9), new("test", "classification", "fog", "loss", 0.4)]),
            new(Guid.NewGuid(), "B", "B", 1, [new("test", "classification", "fog", "accuracy", 0.8), new("test", "classification", "fog", "loss", 0.2)]),
        };
        var m = ResultsMatrix.Build(runs, null);
        var accuracy = m.Rows.Single(r => r.Metric == "accuracy");
        var loss = m.Rows.Single(r => r.Metric == "loss");
        Assert.True(accuracy.Cells[0]!.Best);
        Assert.False(accuracy.Cells[1]!.Best);
        Assert.True(loss.LowerIsBetter);
        Assert.True(loss.Cells[1]!.Best);
    }

    [Fact]
    public void Only_the_chosen_split_is_shown()
    {
        var run = new ResultRun(Guid.NewGuid(), "A", "A", 1,
            [new("test", "classification", "fog", "accuracy", 0.9), new("validation", "classification", "fog", "accuracy", 0.7)]);
        Assert.Equal("validation", ResultsMatrix.Build([run], null, "validation").Rows.Single().Split);
        Assert.Equal(2, ResultsMatrix.Build([run], null, null).Rows.Count);
    }
}
