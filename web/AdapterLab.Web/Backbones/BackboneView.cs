namespace AdapterLab.Web.Backbones;

/// <summary>A named backbone.</summary>
/// <param name="Name">Name used by specs (<c>backbone.source: named</c>).</param>
/// <param name="Preset">Catalogue preset.</param>
/// <param name="Ready">True once the weights exist; experiments that need it wait until then.</param>
/// <param name="Blob">sha256 of the weights blob, when ready.</param>
/// <param name="SourceExperimentId">The pretrain that produces it, if any.</param>
/// <param name="Origin"><c>pretrain</c> or <c>import</c>.</param>
public sealed record BackboneView(
    string Name, string Preset, bool Ready, string? Blob, Guid? SourceExperimentId, string Origin, DateTimeOffset CreatedAt, DateTimeOffset? ReadyAt);
