using Bunit;
using MudBlazor.Services;

namespace AdapterLab.Web.Tests;

/// <summary>A bUnit context with MudBlazor's services and loose JS interop, disposed asynchronously (some MudBlazor services are async-only).</summary>
public abstract class MudTestContext : BunitContext, IAsyncLifetime
{
    protected MudTestContext()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}
