using System.Security.Cryptography;
using System.Text;

namespace AdapterLab.Contracts.Specs;

/// <summary>
/// What a configuration is: the experiments that differ only by seed. Its hash covers the science alone — kind, the
/// resolved backbone (its weights' sha256 once pinned at dispatch, so two backbones registered under one name over time
/// never merge), method and options, tasks, data, optimisation — and never the name, tags, priority, retry, resources,
/// suite, seed, evaluation or checkpoint cadence, retention, attention kernel or dry-run flag (the compute precision is part of it: bf16 moves results beyond
/// seed noise).
/// </summary>
public static class ConfigurationIdentity
{
    /// <summary>Raise when the identity's definition changes: the migrator recomputes rows stored under an older one.</summary>
    public const int Version = 2;

    /// <summary>
    /// The recipe defaults the agents fill in where a spec is silent (optimizer, per-method rates, warm-up, decay per
    /// group); raised when they change, so runs trained under different defaults never share a configuration (2: AdamW
    /// for every classification method, 10 % warm-up, undecayed adapters). Not a <see cref="Version"/> bump: stored rows
    /// keep the hash of the recipe they trained under, and a row dispatched again trains under — and is hashed with — this one.
    /// </summary>
    public const int RecipeDefaults = 2;

    /// <param name="backboneSha256">The pinned backbone blob (dispatch); null before it is known (a named backbone
    /// still training) or when there is none (random initialisation): the backbone's name or source stands in.</param>
    public static string Hash(ExperimentSpec spec, string? backboneSha256)
    {
        var science = spec with
        {
            Name = null,
            Tags = [],
            Priority = 0,
            Suite = null,
            Retry = new RetrySpec(),
            Resources = new ResourcesSpec(),
            Backbone = spec.Backbone with
            {
                RegisterAs = null,
                // Pinned weights identify the backbone; the name or source experiment only until then.
                Name = backboneSha256 is null ? spec.Backbone.Name : null,
                ExperimentId = backboneSha256 is null ? spec.Backbone.ExperimentId : null,
                Source = backboneSha256 is null ? spec.Backbone.Source : "pinned",
            },
            Training = spec.Training with
            {
                Seed = 0,
                EvalInterval = 0,
                CheckpointInterval = 0,
                CheckpointRetention = "latest",
                Attention = null,
                DryRun = null,
                // fp32 said out loud is the default left out.
                Precision = spec.Training.Precision == Precisions.Fp32 ? null : spec.Training.Precision,
            },
        };
        var payload = SpecJson.Serialize(science) + "\nbackbone-sha256:" + (backboneSha256 ?? "-") + "\nrecipe-defaults:" + RecipeDefaults;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));
    }
}
