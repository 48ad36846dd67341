using AdapterLab.Orchestrator.Scheduling;

namespace AdapterLab.Orchestrator.Tests;

public sealed class QueuePlannerTests
{
    private static QueuedItem Item(int n, string pool = "cpu", string? blocked = null) => new(new Guid(n, 0, 0, new byte[8]), pool, blocked);

    [Fact]
    public void Fills_free_slots_in_queue_order_and_gives_the_rest_a_position()
    {
        var queue = Enumerable.Range(1, 5).Select(i => Item(i)).ToList();
        var plan = QueuePlanner.Plan(queue, [new AgentCapacity("a", "cpu", 2, 2)]);

        Assert.Equal(["a", "a", null, null, null], plan.Select(p => p.AgentId));
        Assert.Equal("all 2 slots busy in pool cpu; position 1 in queue", plan[2].WaitingReason);
        Assert.Equal("all 2 slots busy in pool cpu; position 3 in queue", plan[4].WaitingReason);
    }

    [Fact]
    public void Never_hands_work_to_a_busy_agent()
    {
        var plan = QueuePlanner.Plan([Item(1)], [new AgentCapacity("busy", "cpu", 1, 0)]);
        Assert.Null(plan[0].AgentId);
        Assert.StartsWith("all 1 slots busy", plan[0].WaitingReason);
    }

    [Fact]
    public void Says_when_a_pool_has_no_agent_and_keeps_other_pools_moving()
    {
        var plan = QueuePlanner.Plan([Item(1, "cuda"), Item(2, "cpu")], [new AgentCapacity("a", "cpu", 1, 1)]);
        Assert.Equal("no agent in pool cuda; position 1 in queue", plan[0].WaitingReason);
        Assert.Equal("a", plan[1].AgentId);
    }

    [Fact]
    public void Blocked_items_keep_their_reason_and_do_not_take_a_slot()
    {
        var plan = QueuePlanner.Plan([Item(1, blocked: "waiting for backbone x"), Item(2)], [new AgentCapacity("a", "cpu", 1, 1)]);
        Assert.Equal("waiting for backbone x", plan[0].WaitingReason);
        Assert.Equal("a", plan[1].AgentId);
    }

    [Fact]
    public void Spreads_work_over_agents_with_the_most_free_slots()
    {
        var plan = QueuePlanner.Plan([Item(1), Item(2), Item(3)], [new AgentCapacity("a", "cpu", 1, 1), new AgentCapacity("b", "cpu", 2, 2)]);
        Assert.Equal(["b", "a", "b"], plan.Select(p => p.AgentId));
    }

    [Fact]
    public void A_fleet_takes_one_experiment_per_free_slot_and_the_rest_wait_in_order_per_pool()
    {
        // 1,000 one-slot agents in one pool, two busy; 1,200 queued there and 3 in a pool with a two-slot agent.
        var agents = Enumerable.Range(0, 1000).Select(i => new AgentCapacity($"g{i:D4}", "gpu", 1, i < 2 ? 0 : 1)).Append(new AgentCapacity("c", "cpu", 2, 2)).ToList();
        var queue = Enumerable.Range(1, 1200).Select(i => Item(i, "gpu")).Concat(Enumerable.Range(2000, 3).Select(i => Item(i, "cpu"))).ToList();

        var plan = QueuePlanner.Plan(queue, agents);

        var placed = plan.Take(1200).Where(p => p.AgentId is not null).ToList();
        Assert.Equal(998, placed.Count);
        Assert.Equal(998, placed.Select(p => p.AgentId).Distinct().Count());
        Assert.DoesNotContain(placed, p => p.AgentId is "g0000" or "g0001");
        Assert.All(plan.Take(998), p => Assert.NotNull(p.AgentId)); // in queue order: nothing overtakes a runnable one
        Assert.Equal("all 1000 slots busy in pool gpu; position 1 in queue", plan[998].WaitingReason);
        Assert.Equal("all 1000 slots busy in pool gpu; position 202 in queue", plan[1199].WaitingReason);
        Assert.Equal(["c", "c", null], plan.Skip(1200).Select(p => p.AgentId));
        Assert.Equal("all 2 slots busy in pool cpu; position 1 in queue", plan[1202].WaitingReason);
    }
}
