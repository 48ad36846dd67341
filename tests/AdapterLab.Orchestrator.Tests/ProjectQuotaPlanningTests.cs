using AdapterLab.Orchestrator.Scheduling;

namespace AdapterLab.Orchestrator.Tests;

/// <summary>Per-project slot limits in the planner: a project at its limit waits, saying so, and another project's work goes ahead.</summary>
public sealed class ProjectQuotaPlanningTests
{
    private static readonly Guid A = new("0000000a-0000-0000-0000-000000000000"), B = new("0000000b-0000-0000-0000-000000000000");

    private static QueuedItem Item(int n, Guid project, string pool = "cuda") => new(new Guid(n, 0, 0, new byte[8]), pool, null, project);

    [Fact]
    public void A_project_at_its_limit_waits_and_the_next_project_takes_the_free_slots()
    {
        // A queued first (all its work ahead of B's), limited to 2 of the pool's 4 slots, holding none yet.
        var queue = new[] { Item(1, A), Item(2, A), Item(3, A), Item(4, A), Item(5, B), Item(6, B), Item(7, B) };
        var plan = QueuePlanner.Plan(queue, [new AgentCapacity("gpu-1", "cuda", 4, 4)], [new ProjectPoolLimit(A, "alpha", "cuda", 2, 0)]);

        Assert.Equal(["gpu-1", "gpu-1", null, null, "gpu-1", "gpu-1", null], plan.Select(p => p.AgentId));
        Assert.Equal("project alpha at its 2-slot limit in pool cuda; position 1 in its queue", plan[2].WaitingReason);
        Assert.Equal("project alpha at its 2-slot limit in pool cuda; position 2 in its queue", plan[3].WaitingReason);
        Assert.Equal("all 4 slots busy in pool cuda; position 1 in queue", plan[6].WaitingReason);
    }

    [Fact]
    public void Slots_already_held_count_against_the_limit()
    {
        var plan = QueuePlanner.Plan([Item(1, A), Item(2, B)], [new AgentCapacity("gpu-1", "cuda", 4, 1)], [new ProjectPoolLimit(A, "alpha", "cuda", 3, 3)]);
        Assert.Null(plan[0].AgentId);
        Assert.StartsWith("project alpha at its 3-slot limit", plan[0].WaitingReason);
        Assert.Equal("gpu-1", plan[1].AgentId);
    }

    [Fact]
    public void A_limit_applies_to_its_pool_only_and_a_zero_limit_holds_everything()
    {
        var queue = new[] { Item(1, A, "cpu"), Item(2, A, "cuda") };
        var plan = QueuePlanner.Plan(queue, [new AgentCapacity("c", "cpu", 1, 1), new AgentCapacity("g", "cuda", 1, 1)],
            [new ProjectPoolLimit(A, "alpha", "cuda", 0, 0)]);
        Assert.Equal("c", plan[0].AgentId);
        Assert.Null(plan[1].AgentId);
        Assert.StartsWith("project alpha at its 0-slot limit in pool cuda", plan[1].WaitingReason);
    }

    [Fact]
    public void Without_limits_order_within_a_pool_is_strict_whatever_the_project()
    {
        var plan = QueuePlanner.Plan([Item(1, A), Item(2, B), Item(3, A)], [new AgentCapacity("g", "cuda", 2, 2)]);
        Assert.Equal(["g", "g", null], plan.Select(p => p.AgentId));
    }

    [Fact]
    public void Under_a_random_queue_no_project_ever_exceeds_its_limit()
    {
        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            var queue = Enumerable.Range(1, random.Next(1, 40)).Select(i => Item(i, random.Next(2) == 0 ? A : B, random.Next(3) == 0 ? "cpu" : "cuda")).ToList();
            var agents = Enumerable.Range(0, random.Next(1, 5)).Select(i => new AgentCapacity($"x{i}", i % 2 == 0 ? "cuda" : "cpu", 4, random.Next(0, 5))).ToList();
            int limitA = random.Next(0, 4), heldA = random.Next(0, 3);
            var plan = QueuePlanner.Plan(queue, agents, [new ProjectPoolLimit(A, "alpha", "cuda", limitA, heldA)]);
            int placedA = plan.Zip(queue).Count(x => x.First.AgentId is not null && x.Second.Project == A && x.Second.Pool == "cuda");
            Assert.True(heldA + placedA <= Math.Max(limitA, heldA), $"round {round}: held {heldA} + placed {placedA} > limit {limitA}");
            if (heldA >= limitA) Assert.Equal(0, placedA);
        }
    }
}
