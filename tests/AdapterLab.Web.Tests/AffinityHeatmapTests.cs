using AdapterLab.Web.Dashboard;

namespace AdapterLab.Web.Tests;

public sealed class AffinityHeatmapTests
{
    private static AffinityView Matrix(string estimator, long step, string[] tasks, params double[] values) => new(step, estimator, tasks, values);

    [Fact]
    public void Row_major_values_become_rows_from_source_to_target()
    {
        var map = AffinityHeatmap.From(Matrix("troa", 10, ["seg", "depth"], 1, 2, 3, 4));
        Assert.Equal(["seg", "depth"], map.Tasks);
        Assert.Equal([1.0, 2.0], map.Rows[0]);
        Assert.Equal([3.0, 4.0], map.Rows[1]);
    }

    [Fact]
    public void A_matrix_of_the_wrong_size_is_refused() =>
        Assert.Throws<ArgumentException>(() => AffinityHeatmap.From(Matrix("troa", 1, ["a", "b"], 1, 2, 3)));

    [Fact]
    public void Matrices_group_by_estimator_with_steps_in_order_for_the_slider()
    {
        var groups = AffinityHeatmap.ByEstimator([
            Matrix("troa", 20, ["a"], 0.2), Matrix("cosine", 10, ["a"], 0.5), Matrix("troa", 10, ["a"], 0.1),
        ]);
        Assert.Equal(["cosine", "troa"], groups.Keys.Order());
        Assert.Equal([10L, 20L], groups["troa"].Select(m => m.Step));
    }

    [Fact]
    public void The_difference_matches_tasks_by_name_across_orders()
    {
        var a = AffinityHeatmap.From(Matrix("troa", 10, ["seg", "depth"], 1, 2, 3, 4));
        var b = AffinityHeatmap.From(Matrix("cosine", 10, ["depth", "seg"], 40, 30, 20, 10));
        var d = AffinityHeatmap.Difference(a, b)!;
        Assert.Equal(["seg", "depth"], d.Tasks);
        // a[seg→seg]=1, b[seg→seg]=10; a[seg→depth]=2, b[seg→depth]=20
        Assert.Equal([-9.0, -18.0], d.Rows[0]);
        Assert.Equal([-27.0, -36.0], d.Rows[1]);
    }

    [Fact]
    public void Matrices_without_common_tasks_have_no_difference() =>
        Assert.Null(AffinityHeatmap.Difference(
            AffinityHeatmap.From(Matrix("troa", 1, ["a"], 1)), AffinityHeatmap.From(Matrix("troa", 1, ["b"], 1))));
}
