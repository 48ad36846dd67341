using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdapterLab.Contracts.Specs;

public static partial class SpecValidator
{
    /// <summary>Bounds on every spec, whatever the field: the longest string, the longest list, the nesting walked.</summary>
    public const int MaxStringLength = 1_000, MaxListLength = 64;

    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, string JsonName, bool Nullable)[]> SpecProperties = new();

    /// <summary>
    /// The checks every field of every spec gets, however it arrived (API, form, clone, suite), by walking the spec's
    /// records: no control characters in strings (PostgreSQL refuses NUL; newlines and escapes corrupt logs and pages),
    /// strings and lists bounded, every number finite, and no explicit JSON <c>null</c> where the spec needs a value
    /// (e.g. <c>"tasks": null</c>; the rest of the validator may then not run). Errors are keyed by the field's JSON path.
    /// </summary>
    private static void ValidateInputs(object? value, string path, ErrorBag e, int depth = 0)
    {
        if (value is null || depth > 8) return;
        switch (value)
        {
            case string s:
                if (s.Length > MaxStringLength) e.Add(Field(path), $"must be at most {MaxStringLength:N0} characters");
                else if (s.Any(char.IsControl)) e.Add(Field(path), "must not contain control characters (NUL, newlines, tabs, escapes)");
                return;
            case double d:
                if (!double.IsFinite(d)) e.Add(Field(path), "must be a finite number");
                return;
            case float f:
                if (!float.IsFinite(f)) e.Add(Field(path), "must be a finite number");
                return;
            case IDictionary dictionary:
                if (dictionary.Count > MaxListLength) { e.Add(Field(path), $"at most {MaxListLength} entries"); return; }
                foreach (DictionaryEntry entry in dictionary)
                {
                    ValidateInputs(entry.Key, $"{path}.{entry.Key}", e, depth + 1);
                    ValidateInputs(entry.Value, $"{path}.{entry.Key}", e, depth + 1);
                }
                return;
            case IEnumerable list:
                int i = 0;
                foreach (var item in list)
                {
                    if (i == MaxListLength) { e.Add(Field(path), $"at most {MaxListLength} entries"); return; }
                    ValidateInputs(item, $"{path}[{i++}]", e, depth + 1);
                }
                return;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is Guid or decimal) return;
        if (type.Namespace != typeof(ExperimentSpec).Namespace) return;
        foreach (var (property, name, nullable) in SpecProperties.GetOrAdd(type, PropertiesOf))
        {
            var field = path.Length == 0 ? name : $"{path}.{name}";
            var child = property.GetValue(value);
            if (child is null && !nullable)
            {
                e.Add(field, "required: give a value or leave the field out, not null");
                e.Structural = true;
                continue;
            }
            ValidateInputs(child, field, e, depth + 1);
        }
    }

    private static string Field(string path) => path.Length == 0 ? "$" : path;

    private static (PropertyInfo, string, bool)[] PropertiesOf(Type type)
    {
        var nullability = new NullabilityInfoContext();
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null)
            .Select(p => (p, p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name),
                p.PropertyType.IsValueType || nullability.Create(p).ReadState != NullabilityState.NotNull))
            .ToArray();
    }
}
