using System.Diagnostics.Metrics;
using AdapterLab.ServiceDefaults.Telemetry;

namespace AdapterLab.GpuAgent.Telemetry;

/// <summary>
/// The agent's training metrics (Prometheus names in brackets): the compute time of each optimisation step per kind
/// and method [adapterlab_training_step_seconds] and the images those steps consumed
/// [adapterlab_training_images_total; images/s is its rate], attempts held now [adapterlab_agent_attempts_running] and,
/// on a GPU agent, memory in use on each device [adapterlab_agent_device_memory_used_bytes, _total_bytes; from NVML].
/// Process memory and CPU are the runtime's own series (dotnet_process_*).
/// </summary>
public sealed class AgentMetrics
{
    private readonly Histogram<double> _stepSeconds;
    private readonly Counter<long> _images;

    public AgentMetrics(IMeterFactory meters, Running.AttemptRegistry registry, Microsoft.Extensions.Options.IOptions<AgentOptions> options)
    {
        var meter = meters.Create(PlatformTelemetry.Name);
        _stepSeconds = meter.CreateHistogram<double>("adapterlab.training.step", "s", "Compute time of one optimisation step (no evaluation or reporting)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _images = meter.CreateCounter<long>("adapterlab.training.images", "{image}", "Training images consumed by optimisation steps");
        meter.CreateObservableGauge("adapterlab.agent.attempts_running", () => (long)registry.Count, "{attempt}", "Attempts this agent holds");
        // A CPU agent has no device memory of its own (its process memory is dotnet_process_memory_working_set_bytes).
        if (options.Value.Device != "cpu" && AdapterLab.Training.Native.DeviceMemory.Open() is { } nvml)
        {
            meter.CreateObservableGauge("adapterlab.agent.device_memory_used", () => nvml.Read().Select(d => new Measurement<long>(d.Used, new KeyValuePair<string, object?>("device", d.Index))),
                "By", "Memory in use on each GPU (all processes on it)");
            meter.CreateObservableGauge("adapterlab.agent.device_memory_total", () => nvml.Read().Select(d => new Measurement<long>(d.Total, new KeyValuePair<string, object?>("device", d.Index))),
                "By", "Memory of each GPU");
        }
    }

    public void Step(string kind, string method, TimeSpan elapsed, int images)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        var methodTag = new KeyValuePair<string, object?>("method", method);
        _stepSeconds.Record(elapsed.TotalSeconds, kindTag, methodTag);
        _images.Add(images, kindTag, methodTag);
    }
}
