namespace AdapterLab.Data;

/// <summary>SQL functions over the spec JSON that LINQ queries call (mapped in <see cref="PlatformDbContext"/>).</summary>
public static class SpecFunctions
{
    /// <summary>
    /// <c>spec_value(spec_json, path)</c>: the spec's value at <paramref name="path"/> as jsonb (<c>spec #&gt; path</c>),
    /// which orders numbers as numbers and strings as strings; null where the spec has no such field. SQL only.
    /// </summary>
    public static string? SpecValue(string specJson, string[] path) => throw new InvalidOperationException("spec_value runs in SQL only");
}
