namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>Rasterises scenes: geometry first (domain-free), then an image in a domain.</summary>
public static class SceneRenderer
{
    public static SceneGeometry Geometry(Scene scene, int size)
    {
        var g = new SceneGeometry(size);
        int hw = size * size;
        double gny = -Math.Sin(scene.GroundTilt), gnz = Math.Cos(scene.GroundTilt);
        for (int py = 0; py < size; py++)
        {
            double y = (py + 0.5) / size;
            for (int px = 0; px < size; px++)
            {
                double x = (px + 0.5) / size;
                int i = py * size + px;
                int id = y <= scene.Horizon ? SceneGeometry.Sky : SceneGeometry.Ground;
                double nx = 0, ny = id == SceneGeometry.Sky ? 0 : gny, nz = id == SceneGeometry.Sky ? 1 : gnz;
                double depth = scene.GroundDepth(y);
                // Nearest first: the first hit is the visible surface (z-order = depth order).
                for (int k = scene.Objects.Count - 1; k >= 0; k--)
                {
                    var o = scene.Objects[k];
                    if (o.Hit(x, y, out var ox, out var oy, out var oz, out var bulge))
                    {
                        id = k + 1;
                        nx = ox; ny = oy; nz = oz;
                        depth = o.Depth - bulge;
                        break;
                    }
                }
                g.ObjectId[i] = id;
                g.Depth[i] = (float)depth;
                g.Normals[i] = (float)nx;
                g.Normals[hw + i] = (float)ny;
                g.Normals[2 * hw + i] = (float)nz;
            }
        }
        return g;
    }

    /// <summary>
    /// RGB in [0, 1], channel-major [3, H, W]. <paramref name="appearanceSeed"/> drives the per-image appearance
    /// randomness (light jitter, noise), so the same (seed, index, domain) always gives the same pixels.
    /// </summary>
    public static float[] Image(Scene scene, SceneGeometry g, AppearanceDomain domain, ulong appearanceSeed)
    {
        var rng = SplitMix64.For(appearanceSeed, SplitMix64.Hash(domain.Name));
        int size = g.Size, hw = size * size;
        var rgb = new float[3 * hw];
        double az = domain.LightAzimuth + domain.LightJitter * (rng.NextDouble() - 0.5);
        double el = domain.LightElevation + 0.5 * domain.LightJitter * (rng.NextDouble() - 0.5);
        double lx = Math.Cos(el) * Math.Cos(az), ly = Math.Cos(el) * Math.Sin(az), lz = Math.Sin(el);
        Span<double> cast = [1 + domain.ColourCastStd * rng.Gaussian(), 1 + domain.ColourCastStd * rng.Gaussian(), 1 + domain.ColourCastStd * rng.Gaussian()];
        Span<double> albedo = stackalloc double[3];

        for (int py = 0; py < size; py++)
        {
            double y = (py + 0.5) / size;
            for (int px = 0; px < size; px++)
            {
                double x = (px + 0.5) / size;
                int i = py * size + px;
                int id = g.ObjectId[i];
                double r, gr, b;
                if (id == SceneGeometry.Sky)
                {
                    HsvToRgb(Frac(scene.SkyHue * 0.2 + 0.55 + domain.HueShift), 0.35 * domain.Saturation, 0.95 - 0.3 * y, albedo);
                    r = albedo[0]; gr = albedo[1]; b = albedo[2];
                }
                else
                {
                    double hue = id == SceneGeometry.Ground ? scene.GroundHue : scene.Objects[id - 1].Hue;
                    double pattern = id == SceneGeometry.Ground ? scene.GroundHue * 7 : scene.Objects[id - 1].Pattern;
                    double sat = id == SceneGeometry.Ground ? 0.4 * domain.Saturation : domain.Saturation;
                    double val = id == SceneGeometry.Ground ? 0.6 * domain.Value : domain.Value;
                    HsvToRgb(Frac(hue + domain.HueShift), sat, val, albedo);
                    double tex = 1;
                    if (domain.TextureStrength > 0)
                    {
                        // Oriented stripes whose angle and phase come from the object's pattern seed.
                        double angle = pattern * Math.PI;
                        double wave = Math.Sin(domain.TextureFrequency * (x * Math.Cos(angle) + y * Math.Sin(angle)) + pattern * 20);
                        tex = 1 - domain.TextureStrength * 0.5 * (1 + wave);
                    }
                    double ndotl = Math.Max(0, g.Normals[i] * lx + g.Normals[hw + i] * ly + g.Normals[2 * hw + i] * lz);
                    double shade = (domain.Ambient + (1 - domain.Ambient) * ndotl) * tex;
                    r = albedo[0] * shade; gr = albedo[1] * shade; b = albedo[2] * shade;
                }
                if (domain.FogDensity > 0)
                {
                    double keep = Math.Exp(-domain.FogDensity * g.Depth[i]);
                    r = r * keep + domain.FogGrey * (1 - keep);
                    gr = gr * keep + domain.FogGrey * (1 - keep);
                    b = b * keep + (domain.FogGrey + 0.05) * (1 - keep);
                }
                rgb[i] = (float)(r * cast[0]);
                rgb[hw + i] = (float)(gr * cast[1]);
                rgb[2 * hw + i] = (float)(b * cast[2]);
            }
        }
        for (int pass = 0; pass < domain.BlurPasses; pass++) BoxBlur(rgb, size);
        for (int i = 0; i < rgb.Length; i++)
        {
            double v = rgb[i] + (domain.NoiseStd > 0 ? domain.NoiseStd * rng.Gaussian() : 0);
            rgb[i] = (float)Math.Clamp(v, 0, 1);
        }
        return rgb;
    }

    private static double Frac(double v) => v - Math.Floor(v);

    private static void HsvToRgb(double h, double s, double v, Span<double> rgb)
    {
        double c = v * s, hp = h * 6, xx = c * (1 - Math.Abs(hp % 2 - 1)), m = v - c;
        (double r, double g, double b) = (int)hp switch
        {
            0 => (c, xx, 0.0),
            1 => (xx, c, 0.0),
            2 => (0.0, c, xx),
            3 => (0.0, xx, c),
            4 => (xx, 0.0, c),
            _ => (c, 0.0, xx),
        };
        rgb[0] = r + m; rgb[1] = g + m; rgb[2] = b + m;
    }

    private static void BoxBlur(float[] rgb, int size)
    {
        int hw = size * size;
        var tmp = new float[hw];
        for (int ch = 0; ch < 3; ch++)
        {
            var plane = rgb.AsSpan(ch * hw, hw);
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float sum = 0; int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int yy = y + dy, xx = x + dx;
                    if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
                    sum += plane[yy * size + xx]; n++;
                }
                tmp[y * size + x] = sum / n;
            }
            tmp.CopyTo(plane);
        }
    }
}
