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
        new("textured", HueShift: 0.33, Saturation: 0.6, TextureStrength: 0.6, TextureFrequency: 24, LightAzimuth: -0.8, LightJitter: 0.4),
        new("noisy-photo", HueShift: 0.12, Saturation: 0.4, Value: 0.75, LightJitter: 0.8, Ambient: 0.45, BlurPasses: 1, NoiseStd: 0.08, ColourCastStd: 0.12),
        new("fog", HueShift: 0.6, Saturation: 0.55, LightElevation: 1.2, Ambient: 0.5, FogDensity: 0.35, FogGrey: 0.82),
    ];

    /// <summary>
    /// The highest stripe frequency (radians per image side) the stream samples at <paramref name="imageSize"/>: a quarter
    /// of the Nyquist frequency (π·S rad per side), so stripes span at least 8 pixels and never alias into noise.
    /// </summary>
    public static double MaxTextureFrequency(int imageSize) => Math.PI * imageSize / 4;

    /// <summary>
    /// An appearance near one of <paramref name="around"/> (picked at random): hue, saturation, value, light, texture,
    /// noise and colour cast jittered around it; textures below <see cref="MaxTextureFrequency"/>; fog only when the
    /// picked domain has fog. The pretraining stream draws one per scene.
    /// </summary>
    public static AppearanceDomain Around(IReadOnlyList<AppearanceDomain> around, ref SplitMix64 rng, int imageSize)
    {
        var b = around[rng.Next(around.Count)];
        bool textured = b.TextureStrength > 0 || rng.NextDouble() < 0.3;
        return b with
        {
            Name = "stream",
            HueShift = b.HueShift + rng.Uniform(-0.1, 0.1),
            Saturation = Math.Clamp(b.Saturation * rng.Uniform(0.75, 1.25), 0.1, 1),
            Value = Math.Clamp(b.Value * rng.Uniform(0.85, 1.1), 0.4, 1),
            TextureStrength = textured ? Math.Clamp((b.TextureStrength > 0 ? b.TextureStrength : 0.4) * rng.Uniform(0.6, 1.3), 0, 0.8) : 0,
            TextureFrequency = textured ? rng.Uniform(6, MaxTextureFrequency(imageSize)) : 0,
            LightAzimuth = b.LightAzimuth + rng.Uniform(-0.6, 0.6),
            LightElevation = Math.Clamp(b.LightElevation + rng.Uniform(-0.2, 0.2), 0.4, 1.4),
            LightJitter = b.LightJitter + rng.Uniform(0, 0.3),
            Ambient = Math.Clamp(b.Ambient + rng.Uniform(-0.08, 0.08), 0.2, 0.6),
            NoiseStd = b.NoiseStd + rng.Uniform(0, 0.03),
            ColourCastStd = b.ColourCastStd + rng.Uniform(0, 0.05),
            FogDensity = b.FogDensity > 0 ? b.FogDensity * rng.Uniform(0.7, 1.3) : 0,
        };
    }

    public static AppearanceDomain Get(string name) =>
        All.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"unknown ShapesWorld domain '{name}' (known: {string.Join(", ", All.Select(d => d.Name))})", nameof(name));
}
