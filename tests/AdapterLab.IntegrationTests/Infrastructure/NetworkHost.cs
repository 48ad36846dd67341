using System.Net;
using System.Net.Sockets;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>
/// A separate "host" on this machine: a Linux network namespace joined to the test's namespace by a veth pair
/// (10.231.&lt;n&gt;.1 here, 10.231.&lt;n&gt;.2 there; needs root, which CI has). Processes started in it reach the
/// platform only through that link: the broker and the web, which listen on loopback, are forwarded from this side's
/// veth address by a TCP relay in the test process. <see cref="CutLink"/> takes the link down, as a failed network
/// port or switch would.
/// </summary>
public sealed class NetworkHost : IAsyncDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();

    private NetworkHost(int index)
    {
        Index = index;
        Namespace = $"adapterlab-h{index}-{Environment.ProcessId % 10000}";
        HostVeth = $"alh{index}-{Environment.ProcessId % 10000}";
    }

    public int Index { get; }
    public string Namespace { get; }
    private string HostVeth { get; }
    /// <summary>The platform's address as seen from inside the namespace (this side of the veth pair).</summary>
    public IPAddress Gateway => IPAddress.Parse($"10.231.{Index}.1");

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public string[] Exec => ["ip", "netns", "exec", Namespace];

    public static async Task<NetworkHost> CreateAsync(int index, params int[] forwardedPorts)
    {
        var host = new NetworkHost(index);
        await Ip("netns", "add", host.Namespace);
        var peer = host.HostVeth + "p";
        await Ip("link", "add", host.HostVeth, "type", "veth", "peer", "name", peer);
        await Ip("link", "set", peer, "netns", host.Namespace);
        await Ip("addr", "add", $"10.231.{index}.1/24", "dev", host.HostVeth);
        await Ip("link", "set", host.HostVeth, "up");
        await Ip("netns", "exec", host.Namespace, "ip", "addr", "add", $"10.231.{index}.2/24", "dev", peer);
        await Ip("netns", "exec", host.Namespace, "ip", "link", "set", peer, "up");
        await Ip("netns", "exec", host.Namespace, "ip", "link", "set", "lo", "up");
        foreach (var port in forwardedPorts) host.Forward(port);
        return host;
    }

    /// <summary>Takes the link down: packets both ways are dropped, connections stall as on a dead network.</summary>
    public Task CutLink() => Ip("link", "set", HostVeth, "down");

    private void Forward(int port)
    {
        var listener = new TcpListener(Gateway, port);
        listener.Start();
        _listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient inbound;
                try
                {
                    inbound = await listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                _ = RelayAsync(inbound, port);
            }
        });
    }

    private async Task RelayAsync(TcpClient inbound, int port)
    {
        using var _ = inbound;
        using var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception)
        {
            // A relay ends with its connection; the platform's own retries deal with the rest.
        }
    }

    public static Task Ip(params string[] args) => Commands.RunCheckedAsync("ip", args);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var l in _listeners) l.Stop();
        try
        {
            await Ip("netns", "del", Namespace); // the veth pair goes with it
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            await Ip("link", "del", HostVeth);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
