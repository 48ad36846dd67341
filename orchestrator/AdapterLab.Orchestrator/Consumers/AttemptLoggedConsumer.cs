using AdapterLab.Contracts.Messages;
using AdapterLab.Data;
using AdapterLab.Data.Logs;
using MassTransit;

namespace AdapterLab.Orchestrator.Consumers;

/// <summary>
/// Stores a batch of an attempt's log lines. The sender check has already proved the sender holds the attempt; the store
/// bounds what is kept and ignores lines it already has, so a redelivery or an agent's flood changes nothing else.
/// Lines of an ended or superseded attempt are still kept: they are that attempt's story.
/// </summary>
public sealed class AttemptLoggedConsumer(PlatformDbContext db) : IConsumer<AttemptLogged>
{
    public async Task Consume(ConsumeContext<AttemptLogged> context)
    {
        var m = context.Message;
        if (m.Lines is not { Count: > 0 }) return;
        await AttemptLogStore.AppendAsync(db, m.ExperimentId, m.AttemptNumber,
            m.Lines.Where(l => l is not null).Select(l => new AttemptLogStore.Line(l.Sequence, l.At, l.Level ?? "", l.Message ?? "")), context.CancellationToken);
    }
}
