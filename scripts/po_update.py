"""Set the given translations in a .po file, dropping the fuzzy flag only on the entries it sets."""
import re, sys, importlib.util
spec = importlib.util.spec_from_file_location("t", sys.argv[2]); mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
table = next(v for k, v in vars(mod).items() if k.isupper())
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
blocks = text.split("\n\n")
out = []
for block in blocks:
    m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, flags=re.MULTILINE)
    if m:
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        if msgid in table:
            head = block[: m.start()]
            head = "\n".join(l for l in head.split("\n") if not l.startswith("#| "))
            head = re.sub(r"^#, fuzzy, ", "#, ", head, flags=re.MULTILINE)
            head = re.sub(r"^#, fuzzy\n", "", head, flags=re.MULTILINE)
            block = f'{head}msgid "{msgid}"\nmsgstr "{table[msgid]}"'
    out.append(block)
open(path, "w", encoding="utf-8").write("\n\n".join(out))
left = re.findall(r'msgid "(.+)"\nmsgstr ""\n', "\n\n".join(out))
fuzzy = len(re.findall(r"#, fuzzy", "\n\n".join(out).split("\n\n", 1)[1]))
print("untranslated:", left, "fuzzy:", fuzzy)
