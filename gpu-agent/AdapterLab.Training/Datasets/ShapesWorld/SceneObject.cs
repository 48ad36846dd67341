namespace AdapterLab.Training.Datasets.ShapesWorld;

/// <summary>
/// One object in image-plane coordinates (x right, y down, both in [0, 1] of the image side).
/// <paramref name="Depth"/> is the distance of its base from the camera; smaller is nearer and drawn later.
/// <paramref name="Hue"/> and <paramref name="Pattern"/> are appearance seeds that domains interpret; labels never use them.
/// </summary>
public sealed record SceneObject(ShapeKind Shape, double CenterX, double CenterY, double Radius, double Rotation, double Depth, double Hue, double Pattern)
{
    /// <summary>Ring inner radius as a fraction of the outer one.</summary>
    public const double RingInner = 0.55;

    /// <summary>Square half-side as a fraction of the radius.</summary>
    public const double SquareHalfSide = 0.85;

    /// <summary>Triangle circumradius as a fraction of the radius.</summary>
    public const double TriangleCircumradius = 1.15;

    /// <summary>Exact area of the whole shape (not just its visible part), in image-side² units.</summary>
    public double Area => Shape switch
    {
        ShapeKind.Disc => Math.PI * Radius * Radius,
        ShapeKind.Ring => Math.PI * Radius * Radius * (1 - RingInner * RingInner),
        ShapeKind.Square => 4 * Math.Pow(SquareHalfSide * Radius, 2),
        ShapeKind.Triangle => 3 * Math.Sqrt(3) / 4 * Math.Pow(TriangleCircumradius * Radius, 2),
        _ => 0,
    };

    /// <summary>
    /// Whether image point (x, y) lies on the object; when it does, the unit surface normal (camera frame, z towards
    /// the viewer) and the height of the surface above the base plane (for depth).
    /// </summary>
    public bool Hit(double x, double y, out double nx, out double ny, out double nz, out double bulge)
    {
        nx = 0; ny = 0; nz = 1; bulge = 0;
        double dx = x - CenterX, dy = y - CenterY;
        double c = Math.Cos(Rotation), s = Math.Sin(Rotation);
        double lx = c * dx + s * dy, ly = -s * dx + c * dy;
        switch (Shape)
        {
            case ShapeKind.Disc:
            {
                // A dome: analytic hemisphere normals give the disc its Lambertian shading.
                double rho2 = (dx * dx + dy * dy) / (Radius * Radius);
                if (rho2 > 1) return false;
                nz = Math.Sqrt(1 - rho2);
                nx = dx / Radius; ny = dy / Radius;
                bulge = nz * Radius;
                return true;
            }
            case ShapeKind.Ring:
            {
                // A torus seen from the front: the tube's cross-section circle sets the normal.
                double rho = Math.Sqrt(dx * dx + dy * dy);
                double inner = RingInner * Radius;
                if (rho > Radius || rho < inner) return false;
                double tubeCentre = (Radius + inner) / 2, tube = (Radius - inner) / 2;
                double t = Math.Clamp((rho - tubeCentre) / tube, -1, 1);
                double ux = rho > 0 ? dx / rho : 0, uy = rho > 0 ? dy / rho : 0;
                nz = Math.Sqrt(1 - t * t);
                nx = ux * t; ny = uy * t;
                bulge = nz * tube;
                return true;
            }
            case ShapeKind.Square:
            {
                double h = SquareHalfSide * Radius;
                if (Math.Abs(lx) > h || Math.Abs(ly) > h) return false;
                FlatNormal(out nx, out ny, out nz);
                bulge = PlanarBulge(dx, dy, nx, ny, nz);
                return true;
            }
            case ShapeKind.Triangle:
            {
                double R = TriangleCircumradius * Radius;
                // Equilateral triangle pointing up in local coordinates: three half-planes at distance R/2 from the centre.
                for (int k = 0; k < 3; k++)
                {
                    double a = -Math.PI / 2 + k * 2 * Math.PI / 3 + Math.PI; // outward normals of the edges
                    if (lx * Math.Cos(a) + ly * Math.Sin(a) > R / 2) return false;
                }
                FlatNormal(out nx, out ny, out nz);
                bulge = PlanarBulge(dx, dy, nx, ny, nz);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>
    /// A flat face leaning by its normal: its depth changes across the face so that the depth gradient matches the
    /// normal (∂depth/∂x = nx/nz, ∂depth/∂y = ny/nz in image-side units), keeping depth and normals consistent.
    /// </summary>
    private static double PlanarBulge(double dx, double dy, double nx, double ny, double nz) => -(nx * dx + ny * dy) / nz;

    private void FlatNormal(out double nx, out double ny, out double nz)
    {
        // Flat faces lean slightly, by an angle tied to their rotation, so they are not all lit alike.
        nx = 0.3 * Math.Sin(Rotation * 3);
        ny = -0.25;
        nz = Math.Sqrt(1 - nx * nx - ny * ny);
    }
}
