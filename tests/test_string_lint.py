"""Every word a person reads is wrapped for translation: templates and Python, checked by reading.

Templates: text outside `{{ }}` and `{% %}` and the attributes people read (title, aria-label,
placeholder, alt, a button's value) must not hold words. Python: a string literal given to
flash(), to an ApiError (or a subclass), to ValidationError, as abort()'s description, as a
form field's label or description, or as a validator's `message=` must be wrapped.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from storytime.errors import ApiError

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
PACKAGE = ROOT / "storytime"

# Names that read the same in every language: they may stand unwrapped.
PROPER_NOUNS = {"Storytime", "CSV", "JSON", "QR", "URL", "API", "UTC", "IANA", "SVG", "PNG"}
# A placeholder for everything Jinja puts in: it is not text the template wrote.
SLOT = "\x00"
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-placeholder", "label"}
FIELD = re.compile(r"(?:Field|Select|TextArea)$")


def has_words(text: str) -> bool:
    """Tell whether text holds words a person reads, other than proper nouns and formats."""
    text = text.replace(SLOT, " ")
    text = re.sub(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}", " ", text)  # placeholders
    words = re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", text)
    return any(word not in PROPER_NOUNS for word in words)


# --- templates -------------------------------------------------------------------------------


def template_html(source: str) -> str:
    """Return the template's own text, each Jinja expression or statement made one SLOT."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    words: list[str] = []  # the names of the statement being read
    skipping = ""  # "trans" inside {% trans %}; "class" inside {% block body_class %}
    for _line, kind, value in env.lex(source):
        if kind == "data":
            # A {% trans %} text is a message; a *_class block fills an attribute with names.
            out.append(SLOT if skipping else value)
        elif kind in ("variable_begin", "block_begin"):
            out.append(SLOT)
            words = [] if kind == "block_begin" else ["{{"]
        elif kind == "name" and len(words) < 2:
            words.append(value)
        elif kind == "block_end":
            if words[:1] == ["trans"]:
                skipping = "trans"
            elif words[:1] == ["block"] and words[1:2] and words[1].endswith("class"):
                skipping = "class"
            elif words[:1] in (["endtrans"], ["endblock"]):
                skipping = ""
    return "".join(out)


# Not read as words of the page: code, keys, and text marked as written in another language
# on purpose (the printed card says it in several).
MACHINE_TEXT = {"script", "style", "code", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class ReadText(HTMLParser):
    """Collect the words of text nodes and read attributes, with their line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.open: list[bool] = []  # per open element: is its text skipped?

    @property
    def skip(self) -> bool:
        return any(self.open)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in VOID:
            self.open.append(tag in MACHINE_TEXT or "lang" in attributes)
        names = set(READ_ATTRIBUTES)
        # A button's value is sent, not shown; an input button shows its value.
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            names.add("value")
        for name, value in attrs:
            if name in names and value and has_words(value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag):
        if tag not in VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        if not self.skip and has_words(data):
            self.found.append((self.getpos()[0], data.strip().replace(SLOT, "{…}")))


def template_problems(path: Path) -> list[str]:
    parser = ReadText()
    parser.feed(template_html(path.read_text(encoding="utf-8")))
    parser.close()
    name = path.relative_to(ROOT)
    return [f"{name}:{line}: {text}" for line, text in parser.found]


# --- Python ----------------------------------------------------------------------------------


def _subclass_names(cls: type) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _subclass_names(sub)
    return names


def _import_everything() -> None:
    """Import every module, so every ApiError subclass is known."""
    import importlib

    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        importlib.import_module(module.removesuffix(".__init__"))


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal_words(node: ast.expr | None) -> str | None:
    """Return a literal string with words in it (plain, f-string or `"…" % x`), else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        node = node.left
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value if isinstance(part, ast.Constant) else SLOT for part in node.values
        )
        return text if has_words(text) else None
    return None


def python_problems(path: Path, error_names: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    name = path.relative_to(root)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        checked: list[ast.expr | None] = []
        if called == "flash" or called in error_names or called == "ValidationError":
            checked += node.args[:1]
            checked += [kw.value for kw in node.keywords if kw.arg in ("message", "description")]
        elif called == "abort":
            checked += [kw.value for kw in node.keywords if kw.arg == "description"]
        elif FIELD.search(called) and called[0].isupper():
            checked += node.args[:1]
            checked += [kw.value for kw in node.keywords if kw.arg in ("label", "description")]
        checked += [kw.value for kw in node.keywords if kw.arg == "message"]
        for argument in checked:
            text = _literal_words(argument)
            if text is not None:
                problems.append(f"{name}:{node.lineno}: {called}({text!r})")
    return sorted(set(problems))


# --- the tests -------------------------------------------------------------------------------


def test_the_word_check_knows_words_from_formats():
    assert has_words("Save settings") and has_words("Étape 1") and has_words("保存")
    assert not has_words(" · — 12:30 %(n)s {n} … ") and not has_words("QR · CSV")
    assert has_words("Storytime help")
    assert not has_words(SLOT + " · " + SLOT)


def test_the_template_check_finds_unwrapped_text():
    source = (
        '<p title="Hello">{{ _("Fine") }} · {{ n }}</p><input type="submit" value="Go">'
        '{% block main_class %}page wide{% endblock %}<kbd>j</kbd><li lang="es">Hola</li>'
        '<button name="action" value="delete">{{ _("Delete") }}</button>'
        "{# a comment #}<script>let a = 'b';</script>{% trans %}Wrapped{% endtrans %}"
        '<span aria-label="{{ _("ok") }}">Plain words</span>'
    )
    parser = ReadText()
    parser.feed(template_html(source))
    assert [text for _line, text in parser.found] == ["title='Hello'", "value='Go'", "Plain words"]


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_wrap_every_word(path):
    problems = template_problems(path)
    assert not problems, "Wrap these in {{ _(…) }}:\n" + "\n".join(problems)


def test_python_wraps_every_word_people_read():
    _import_everything()
    error_names = _subclass_names(ApiError)
    problems = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for problem in python_problems(path, error_names)
    ]
    assert not problems, "Wrap these in _() or _l():\n" + "\n".join(problems)


def test_python_check_finds_each_kind_of_call(tmp_path):
    sample = tmp_path / "storytime" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "flash('Saved.', 'success')\n"
        "flash(_('Saved.'))\n"
        "raise ApiError(f'No branch {slug}.')\n"
        "name = StringField('Name', validators=[Length(max=3, message='Too long')])\n"
        "ok = StringField(_l('Name'), validators=[DataRequired()])\n"
        "raise ValidationError('Bad %s' % x)\n"
        "raise ValueError('internal only')\n"
        "abort(403, description='Not yours.')\n"
    )
    problems = python_problems(sample, {"ApiError"}, root=tmp_path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "flash('Saved.')",
        "ApiError('No branch \\x00.')",
        "Length('Too long')",
        "StringField('Name')",
        "ValidationError('Bad %s')",
        "abort('Not yours.')",
    ]
