using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>What the broker refuses: an operation on a fresh channel, and the AMQP code it closed the channel with.</summary>
public static class BrokerProbe
{
    /// <summary>
    /// Runs one operation on a fresh channel and returns the AMQP code with which the broker closed it — or, when the
    /// broker has already closed the whole connection (a revoked user's, refused its vhost: 530), that code.
    /// </summary>
    public static async Task<int> RefusedAsync(IConnection connection, Func<IChannel, Task> operation)
    {
        IChannel channel;
        try
        {
            channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException && connection.CloseReason is { } closed)
        {
            return closed.ReplyCode;
        }
        int code = 0;
        try
        {
            await operation(channel);
            // A refused publish closes the channel asynchronously; the next round trip observes it.
            for (int i = 0; i < 50 && channel.IsOpen; i++) await Task.Delay(100);
            if (channel.IsOpen) await channel.QueueDeclarePassiveAsync("amq.nonexistent-probe");
        }
        catch (Exception ex) when (ex is OperationInterruptedException or AlreadyClosedException or PublishException)
        {
            if (ex is OperationInterruptedException { ShutdownReason: { } reason }) code = reason.ReplyCode;
        }
        finally
        {
            if (code == 0 && channel.CloseReason is { } reason) code = reason.ReplyCode;
            await channel.DisposeAsync();
        }
        return code;
    }
}
