namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>A queued experiment as the planner sees it, in queue order (priority, then submission time).</summary>
public sealed record QueuedItem(Guid ExperimentId, string Pool, string? BlockedReason);

/// <summary>An agent that may take work: its pool and how many slots it has free now.</summary>
public sealed record AgentCapacity(string AgentId, string Pool, int Slots, int FreeSlots);

/// <summary>The planner's decision for one queued experiment: an agent, or why it waits.</summary>
public sealed record Placement(Guid ExperimentId, string? AgentId, string? WaitingReason);

/// <summary>
/// Pure scheduling: walks the queue in order and gives each experiment a free slot in its pool, or a reason for waiting.
/// Strict order within a pool: an experiment never overtakes an earlier runnable one of the same pool.
/// </summary>
public static class QueuePlanner
{
    public static IReadOnlyList<Placement> Plan(IReadOnlyList<QueuedItem> queue, IReadOnlyList<AgentCapacity> agents)
    {
        var free = agents.ToDictionary(a => a.AgentId, a => a.FreeSlots);
        var positions = new Dictionary<string, int>();
        var result = new List<Placement>(queue.Count);
        foreach (var item in queue)
        {
            if (item.BlockedReason is not null)
            {
                result.Add(new Placement(item.ExperimentId, null, item.BlockedReason));
                continue;
            }
            var pool = agents.Where(a => a.Pool == item.Pool).ToList();
            var chosen = pool.Where(a => free[a.AgentId] > 0).OrderByDescending(a => free[a.AgentId]).ThenBy(a => a.AgentId, StringComparer.Ordinal).FirstOrDefault();
            if (chosen is not null)
            {
                free[chosen.AgentId]--;
                result.Add(new Placement(item.ExperimentId, chosen.AgentId, null));
                continue;
            }
            int position = positions[item.Pool] = positions.GetValueOrDefault(item.Pool) + 1;
            string reason = pool.Count == 0
                ? $"no agent in pool {item.Pool}; position {position} in queue"
                : $"all {pool.Sum(a => a.Slots)} slots busy in pool {item.Pool}; position {position} in queue";
            result.Add(new Placement(item.ExperimentId, null, reason));
        }
        return result;
    }
}
