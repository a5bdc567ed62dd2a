// sentinel-pack's glue to Kusto.Language, evaluated after bridge.min.js and
// Kusto.Language.Bridge.min.js: declare a database once, then analyse queries against it.
// Arguments and results cross into Python as JSON strings.
var spGlobals = {};

// KustoCode.Create builds the grammar-combinator parser (QueryGrammar, about 0.3 s on first use)
// for every query, though the default parser is the hand-written QueryParser: the grammar only
// serves completion, and QueryParser's fallback for queries nested deeper than its MaxDepth. So
// From() answers with a stand-in that builds the real grammar the first time anything but
// QueryBlock (which Create only stores on the KustoCode, for completion) is read from it.
(function () {
  var grammar = Kusto.Language.Parsing.QueryGrammar, from = grammar.From;
  grammar.From = function (globals) {
    var real = null;
    return new Proxy({}, {
      get: function (_, name) {
        if (real === null && name === "QueryBlock" &&
            globals.ParseOptions.ParserKind === Kusto.Language.ParserKind.Default) { return null; }
        if (real === null) { real = from(globals); }
        return real[name];
      }
    });
  };
})();

function spDeclare(key, spec) {
  var K = Kusto.Language, S = K.Symbols;
  spec = JSON.parse(spec);
  var members = [];
  // A declaration Kusto cannot read is left out (the query that uses it then reports the name)
  // rather than failing every query of the solution.
  spec.tables.forEach(function (t) {
    try { members.push(S.TableSymbol.From(t.schema).WithName(t.name)); } catch (e) { }
  });
  spec.functions.forEach(function (f) {
    try { members.push(new S.FunctionSymbol.$ctor16(f.name, f.parameters, f.body, null)); } catch (e) { }
  });
  // DatabaseSymbol.ctor is (name, members); $ctor2 would silently take the array as an alternate name.
  var db = new S.DatabaseSymbol.ctor(spec.database, members);
  spGlobals[key] = K.GlobalState.Default.WithDatabase(db);
  return key;
}

function spAnalyze(key, query) {
  var K = Kusto.Language, SK = K.Syntax.SyntaxKind, S = K.Symbols;
  var globals = spGlobals[key];
  var code = K.KustoCode.ParseAndAnalyze(query, globals);
  var out = { diagnostics: [], functions: [], operators: [], tables: [], columns: null };
  var syntax = {};
  var s = code.GetSyntaxDiagnostics();
  for (var k = 0; k < s.Count; k++) {
    var y = s.getItem(k);
    syntax[y.Code + "@" + y.Start] = true;
  }
  var d = code.GetDiagnostics();
  for (var i = 0; i < d.Count; i++) {
    var x = d.getItem(i);
    out.diagnostics.push({ code: x.Code, start: x.Start, length: x.Length, message: x.Message,
                           severity: x.Severity, syntax: syntax[x.Code + "@" + x.Start] === true });
  }
  code.Syntax.WalkElements(function (e) {
    if (e.Kind === SK.FunctionCallExpression) {
      var name = e.Name.SimpleName;
      var builtin = K.GlobalState.Default.GetFunction(name) != null || K.GlobalState.Default.GetAggregate(name) != null;
      out.functions.push({ name: name, start: e.TextStart, length: e.Width, builtin: builtin });
    } else if (Bridge.is(e, K.Syntax.QueryOperator)) {
      out.operators.push({ kind: System.Enum.toString(SK, e.Kind), start: e.TextStart, length: e.Width });
    } else if (Bridge.is(e, K.Syntax.NameReference) && e.ReferencedSymbol != null &&
               Bridge.is(e.ReferencedSymbol, S.TableSymbol) && out.tables.indexOf(e.SimpleName) < 0) {
      out.tables.push(e.SimpleName);
    }
  });
  var result = code.ResultType;
  if (result != null && Bridge.is(result, S.TableSymbol)) {
    out.columns = [];
    var cols = result.Columns;
    for (var j = 0; j < cols.Count; j++) {
      var c = cols.getItem(j);
      out.columns.push([c.Name, c.Type.Name]);
    }
  }
  return JSON.stringify(out);
}
