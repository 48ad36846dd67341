namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// How a domain renders a scene: palette, texture, light, blur, sensor noise, fog. Appearance only — the geometry and
/// therefore every label are the same in every domain. A new domain is one more entry in <see cref="All"/>.
/// </summary>
public sealed record AppearanceDomain(
    string Name,
    double HueShift = 0,
    double Saturation = 0.75,
    double Value = 0.9,
    double TextureStrength = 0,
    double TextureFrequency = 0,
    double LightAzimuth = -2.3,
    double LightElevation = 0.9,
    double LightJitter = 0,
    double Ambient = 0.35,
    int BlurPasses = 0,
    double NoiseStd = 0,
    double ColourCastStd = 0,
    double FogDensity = 0,
    double FogGrey = 0.8)
{
    public static readonly IReadOnlyList<AppearanceDomain> All =
    [
        new("synthetic"),
        new("textured", HueShift: 0.33, Saturation: 0.6, TextureStrength: 0.6, TextureFrequency: 70, LightAzimuth: -0.8, LightJitter: 0.4),
        new("noisy-photo", HueShift: 0.12, Saturation: 0.4, Value: 0.75, LightJitter: 0.8, Ambient: 0.45, BlurPasses: 1, NoiseStd: 0.08, ColourCastStd: 0.12),
        new("fog", HueShift: 0.6, Saturation: 0.55, LightElevation: 1.2, Ambient: 0.5, FogDensity: 0.35, FogGrey: 0.82),
    ];

    public static AppearanceDomain Get(string name) =>
        All.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"unknown ShapesWorld domain '{name}' (known: {string.Join(", ", All.Select(d => d.Name))})", nameof(name));
}
