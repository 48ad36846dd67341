using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace AdapterLab.IntegrationTests.Infrastructure;

/// <summary>The test broker's management API, as the test run's administrator (never given to a platform process).</summary>
public static class BrokerAdmin
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Creates or updates a user (no tags) and sets its permissions on the test vhost.</summary>
    public static async Task PutUserAsync(TestServers s, string user, string password, (string Configure, string Write, string Read) permissions)
    {
        var u = Uri.EscapeDataString(user);
        var v = Uri.EscapeDataString(s.RabbitVirtualHost);
        await SendAsync(s, HttpMethod.Put, $"api/users/{u}", new { password, tags = "" });
        await SendAsync(s, HttpMethod.Put, $"api/permissions/{v}/{u}", new { configure = permissions.Configure, write = permissions.Write, read = permissions.Read });
    }

    public static Task DeleteUserAsync(TestServers s, string user) => SendAsync(s, HttpMethod.Delete, $"api/users/{Uri.EscapeDataString(user)}", null);

    /// <summary>Connections of a user open now.</summary>
    public static async Task<int> ConnectionsAsync(TestServers s, string user)
    {
        using var request = Request(s, HttpMethod.Get, $"api/connections?columns=user", null);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var all = await response.Content.ReadFromJsonAsync<List<Dictionary<string, object>>>() ?? [];
        return all.Count(c => c.TryGetValue("user", out var name) && name?.ToString() == user);
    }

    private static async Task SendAsync(TestServers s, HttpMethod method, string path, object? body)
    {
        using var request = Request(s, method, path, body);
        using var response = await Http.SendAsync(request);
        if (!response.IsSuccessStatusCode && !(method == HttpMethod.Delete && response.StatusCode == System.Net.HttpStatusCode.NotFound))
            throw new InvalidOperationException($"RabbitMQ management {method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static HttpRequestMessage Request(TestServers s, HttpMethod method, string path, object? body)
    {
        if (s.RabbitAdminUser is null || s.RabbitAdminPassword is null)
            throw new InvalidOperationException("ADAPTERLAB_TEST_RABBITMQ_ADMIN_USER/PASSWORD are not set: run the tests with ./platform test");
        var request = new HttpRequestMessage(method, $"http://{s.RabbitHost}:{s.RabbitManagementPort}/{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{s.RabbitAdminUser}:{s.RabbitAdminPassword}")));
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }
}
