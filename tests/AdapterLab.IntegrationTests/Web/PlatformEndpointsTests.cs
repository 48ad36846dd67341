using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdapterLab.Contracts.Messages;
using AdapterLab.Web.Notifications;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace AdapterLab.IntegrationTests.Web;

/// <summary>Health, OpenAPI, the dashboard's sign-in redirect and live notifications from the bus.</summary>
public sealed class PlatformEndpointsTests(WebAppFixture web) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Ready_once_postgres_and_the_bus_are_up()
    {
        using var client = web.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await WaitReadyAsync(client));
    }

    [Fact]
    public async Task The_openapi_document_lists_the_experiments_api()
    {
        using var client = web.Anonymous();
        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/experiments", out var experiments));
        Assert.True(experiments.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/agent/blobs/{sha256}", out _));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar")).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_sends_anonymous_browsers_to_sign_in_and_hangfire_is_closed()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = web.BaseAddress };
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/account/login", home.Headers.Location?.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/login")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task Status_changes_on_the_bus_reach_the_notification_service()
    {
        using (var client = web.Anonymous()) Assert.Equal(HttpStatusCode.OK, await WaitReadyAsync(client));
        var notifications = web.App.Services.GetRequiredService<ExperimentNotifications>();
        var id = Guid.NewGuid();
        var received = new TaskCompletionSource<ExperimentStatusChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(ExperimentStatusChanged c) { if (c.ExperimentId == id) received.TrySetResult(c); }
        notifications.StatusChanged += OnChange;
        try
        {
            var bus = web.App.Services.GetRequiredService<IBus>();
            await bus.Publish(new ExperimentStatusChanged { ExperimentId = id, Status = "Running", Step = 3, TotalSteps = 10 });
            var change = await received.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(("Running", 3L, 10L), (change.Status, change.Step, change.TotalSteps));
        }
        finally
        {
            notifications.StatusChanged -= OnChange;
        }
    }

    private static async Task<HttpStatusCode> WaitReadyAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (true)
        {
            var status = (await client.GetAsync("/health/ready")).StatusCode;
            if (status == HttpStatusCode.OK || DateTime.UtcNow > deadline) return status;
            await Task.Delay(250);
        }
    }
}
