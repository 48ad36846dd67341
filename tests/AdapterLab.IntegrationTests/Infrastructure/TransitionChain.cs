using AdapterLab.Data.Entities;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>The audit log of one experiment is a chain: it starts from nothing and each transition starts where the
/// previous one ended, so a missing row shows as a break.</summary>
public static class TransitionChain
{
    public static void AssertUnbroken(IReadOnlyList<StateTransition> transitions)
    {
        Assert.NotEmpty(transitions);
        Assert.Equal("", transitions[0].From);
        for (int i = 1; i < transitions.Count; i++)
            Assert.True(transitions[i].From == transitions[i - 1].To,
                $"transition {i} goes {transitions[i].From} → {transitions[i].To} after one that ended in {transitions[i - 1].To}");
    }
}
