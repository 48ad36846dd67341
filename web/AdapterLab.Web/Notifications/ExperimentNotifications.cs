using AdapterLab.Contracts.Messages;

namespace AdapterLab.Web.Notifications;

/// <summary>
/// In-process fan-out of <see cref="ExperimentStatusChanged"/> to whoever shows experiments (Blazor circuits).
/// Subscribers must be quick and must marshal onto their own context (<c>InvokeAsync(StateHasChanged)</c>).
/// </summary>
public sealed class ExperimentNotifications(ILogger<ExperimentNotifications> log)
{
    /// <summary>Raised for every status or progress change of any experiment.</summary>
    public event Action<ExperimentStatusChanged>? StatusChanged;

    public void Publish(ExperimentStatusChanged change)
    {
        var handlers = StatusChanged;
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Action<ExperimentStatusChanged>>())
        {
            // One broken page must not stop the others from updating.
            try { handler(change); }
            catch (Exception ex) { log.LogWarning(ex, "An experiment notification subscriber failed"); }
        }
    }
}
