using System.Text;
using AdapterLab.Contracts.Specs;

namespace AdapterLab.Web.Runs;

/// <summary>
/// Parses the runs table's filter, e.g. <c>test.accuracy &gt; 0.5 and method = lora and method.rank &gt;= 8 and tag:demo</c>.
/// <list type="bullet">
/// <item><c>field op value</c> with op one of <c>= != &gt; &gt;= &lt; &lt;= ~</c> (contains) <c>!~</c>; values are words,
/// numbers or quoted strings.</item>
/// <item>Fields: built-ins (<see cref="BuiltinFields"/>); final metrics <c>split[.task][.domain].metric</c> (split
/// <c>train</c>, <c>validation</c> or <c>test</c>); spec fields by JSON path under <c>data</c>, <c>method</c>,
/// <c>training</c>, <c>backbone</c>, <c>resources</c> or <c>retry</c> (<c>training.learningRate</c>).</item>
/// <item><c>tag:x</c> — carries tag x; a bare word or quoted phrase — the name contains it.</item>
/// <item>Terms side by side are joined by <c>and</c>; <c>or</c>, <c>not</c> and parentheses group them.</item>
/// </list>
/// Bounded: at most <see cref="MaxLength"/> characters, <see cref="MaxConditions"/> conditions, <see cref="MaxDepth"/>
/// levels of nesting. Anything else throws <see cref="RunQueryException"/> saying what and where.
/// </summary>
public static class RunQueryParser
{
    public const int MaxLength = 2_000, MaxConditions = 40, MaxDepth = 12, MaxValueLength = 200;

    public static readonly IReadOnlyList<string> Splits = ["train", "validation", "test"];
    public static readonly IReadOnlyList<string> SpecSections = ["data", "method", "training", "backbone", "resources", "retry"];
    private static readonly HashSet<string> KnownTasks = [Tasks.Classification, .. Tasks.Dense, "reconstruction"];

    /// <summary>The condition the text states; null for an empty (or all-blank) filter.</summary>
    public static RunCondition? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Length > MaxLength) throw new RunQueryException($"the filter is {text.Length:N0} characters; at most {MaxLength:N0}", MaxLength);
        var parser = new Parser(Tokenize(text));
        var condition = parser.ParseOr(0);
        if (!parser.AtEnd) throw new RunQueryException($"unexpected '{parser.Peek.Text}'", parser.Peek.Position);
        return condition;
    }

    /// <summary>Parses a field reference alone (a column key's body or a sort field).</summary>
    public static RunField ParseField(string text, int position = 0)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new RunQueryException("a field name is empty", position);
        var parts = text.Split('.');
        foreach (var p in parts)
            if (!IsIdentifier(p)) throw new RunQueryException($"'{text}' is not a field: each part is a name (letters, digits, '_', '-', ':', '@')", position);
        if (parts.Length == 1)
            return BuiltinFields.Find(parts[0]) is { } b ? new BuiltinField(b)
                : throw new RunQueryException($"unknown field '{text}'; fields are {string.Join(", ", BuiltinFields.All.Select(f => f.Name))}, a metric (test.accuracy) or a spec path (training.learningRate)", position);
        var head = parts[0].ToLowerInvariant();
        if (head == "val") head = "validation";
        if (Splits.Contains(head))
        {
            if (parts.Length > 4) throw new RunQueryException($"'{text}': a metric is split[.task][.domain].metric", position);
            string metric = parts[^1];
            string? task = null, domain = null;
            if (parts.Length == 4) (task, domain) = (parts[1], parts[2]);
            else if (parts.Length == 3)
            {
                if (KnownTasks.Contains(parts[1])) task = parts[1];
                else domain = parts[1];
            }
            return new MetricField(head, task, domain, metric);
        }
        if (SpecSections.Contains(parts[0]))
        {
            if (parts.Length > 6) throw new RunQueryException($"'{text}': a spec path is at most 6 names deep", position);
            return new SpecField(parts);
        }
        throw new RunQueryException($"unknown field '{text}': a dotted field starts with a split ({string.Join(", ", Splits)}) or a spec section ({string.Join(", ", SpecSections)})", position);
    }

    private static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 64 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '@');

    private enum TokenKind { Word, Quoted, Operator, Open, Close, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    private static readonly string[] Operators = [">=", "<=", "!=", "!~", "==", "=", ">", "<", "~"];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '(') { tokens.Add(new(TokenKind.Open, "(", i++)); continue; }
            if (c == ')') { tokens.Add(new(TokenKind.Close, ")", i++)); continue; }
            if (c is '"' or '\'')
            {
                int start = i++;
                var sb = new StringBuilder();
                while (true)
                {
                    if (i >= text.Length) throw new RunQueryException($"the quote opened at {start + 1} is not closed", start);
                    if (text[i] == '\\' && i + 1 < text.Length) { sb.Append(text[i + 1]); i += 2; continue; }
                    if (text[i] == c) { i++; break; }
                    sb.Append(text[i++]);
                }
                tokens.Add(new(TokenKind.Quoted, sb.ToString(), start));
                continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0);
            if (op is not null) { tokens.Add(new(TokenKind.Operator, op, i)); i += op.Length; continue; }
            int from = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or '"' or '\'' or '=' or '>' or '<' or '~')
                   && !(text[i] == '!' && i + 1 < text.Length && text[i + 1] is '=' or '~'))
                i++;
            if (i == from) throw new RunQueryException($"unexpected '{text[i]}'", i);
            tokens.Add(new(TokenKind.Word, text[from..i], from));
        }
        tokens.Add(new(TokenKind.End, "end of the filter", text.Length));
        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _at, _conditions;

        public Token Peek => tokens[_at];
        public bool AtEnd => Peek.Kind == TokenKind.End;

        private bool IsKeyword(string word) => Peek.Kind == TokenKind.Word && string.Equals(Peek.Text, word, StringComparison.OrdinalIgnoreCase);

        public RunCondition ParseOr(int depth)
        {
            if (depth > MaxDepth) throw new RunQueryException($"nested more than {MaxDepth} levels deep", Peek.Position);
            var parts = new List<RunCondition> { ParseAnd(depth) };
            while (IsKeyword("or")) { _at++; parts.Add(ParseAnd(depth)); }
            return parts.Count == 1 ? parts[0] : new AnyOf(parts);
        }

        private RunCondition ParseAnd(int depth)
        {
            var parts = new List<RunCondition> { ParseUnary(depth) };
            while (!AtEnd && Peek.Kind != TokenKind.Close && !IsKeyword("or"))
            {
                if (IsKeyword("and")) _at++;
                parts.Add(ParseUnary(depth));
            }
            return parts.Count == 1 ? parts[0] : new AllOf(parts);
        }

        private RunCondition ParseUnary(int depth)
        {
            var t = Peek;
            if (depth > MaxDepth) throw new RunQueryException($"nested more than {MaxDepth} levels deep", t.Position);
            if (IsKeyword("not")) { _at++; return new Not(ParseUnary(depth + 1)); }
            if (t.Kind == TokenKind.Open)
            {
                _at++;
                var inner = ParseOr(depth + 1);
                if (Peek.Kind != TokenKind.Close) throw new RunQueryException($"expected ')' to close the '(' at {t.Position + 1}, found '{Peek.Text}'", Peek.Position);
                _at++;
                return inner;
            }
            if (t.Kind is TokenKind.End or TokenKind.Close or TokenKind.Operator
                || t.Kind == TokenKind.Word && (IsKeyword("and") || IsKeyword("or")))
                throw new RunQueryException($"expected a condition, found '{t.Text}'", t.Position);
            if (++_conditions > MaxConditions) throw new RunQueryException($"more than {MaxConditions} conditions", t.Position);
            _at++;
            if (t.Kind == TokenKind.Quoted) return new NameContains(Value(t));
            if (t.Text.StartsWith("tag:", StringComparison.OrdinalIgnoreCase))
            {
                var tag = t.Text[4..];
                if (tag.Length == 0 && Peek.Kind == TokenKind.Quoted && Peek.Position == t.Position + 4) tag = Value(tokens[_at++]);
                if (tag.Length == 0) throw new RunQueryException("tag: needs a tag name (tag:demo)", t.Position);
                return new HasTag(tag);
            }
            if (Peek.Kind != TokenKind.Operator) return new NameContains(Value(t));
            var field = ParseField(t.Text, t.Position);
            var op = tokens[_at++];
            var value = Peek;
            if (value.Kind is not (TokenKind.Word or TokenKind.Quoted))
                throw new RunQueryException($"'{t.Text} {op.Text}' needs a value, found '{value.Text}'", value.Position);
            _at++;
            return new Comparison(field, op.Text switch
            {
                "=" or "==" => CompareOp.Equal,
                "!=" => CompareOp.NotEqual,
                ">" => CompareOp.Greater,
                ">=" => CompareOp.GreaterOrEqual,
                "<" => CompareOp.Less,
                "<=" => CompareOp.LessOrEqual,
                "~" => CompareOp.Contains,
                _ => CompareOp.NotContains,
            }, Value(value), value.Kind == TokenKind.Quoted);
        }

        private static string Value(Token t)
        {
            if (t.Text.Length > MaxValueLength) throw new RunQueryException($"a value is longer than {MaxValueLength} characters", t.Position);
            if (t.Text.Any(char.IsControl)) throw new RunQueryException("a value holds a control character", t.Position);
            return t.Text;
        }
    }
}
