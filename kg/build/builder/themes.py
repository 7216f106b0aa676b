"""Statements about theme membership: ``site hr:theme theme`` for every site a rule of
``data/ontology/theme_rules.yaml`` puts in a theme, with an ``hr:ThemeMembership`` node that
records the rule, the reason (Chinese and English) and the source (:mod:`kg.themes`)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF

from common.settings import ONTOLOGY_DIR
from kg import uris
from kg.build.builder.base import BuilderBase
from kg.namespaces import DCTERMS, HR, HRID, PROV, SKOS
from kg.themes import RULES_FILE, ThemeRuleError, evaluate, load_rules


class ThemeStatements(BuilderBase):
    """Theme members and why they are members."""

    def add_theme_members(self) -> None:
        path = ONTOLOGY_DIR / RULES_FILE
        known = {str(t).rsplit("/", 1)[-1] for t in self._theme_concepts()}
        try:
            rules = load_rules(path, known_themes=known)
        except ThemeRuleError as exc:
            self.problems.extend(exc.problems)
            return
        heritage: dict[str, list[tuple[str, str]]] = {}
        for link in self.links:
            item = self.items.get(link.item_id)
            if item is not None and link.site_id:
                for kind in item.kinds:
                    heritage.setdefault(link.site_id, []).append((kind, item.name_zh))
        members = evaluate(self.catalog, rules, heritage, self.warnings)
        act = self.activity(
            "kg.themes",
            {"rules": [r.key for r in rules]},
            self._used(f"ontology/{RULES_FILE}", "sites.csv"),
        )
        for m in members:
            site, theme = uris.site_uri(m.site_id), uris.theme_uri(m.theme)
            node = HRID[f"theme-member/{m.theme}/{m.site_id}"]
            self.add(site, HR.theme, theme)
            self.add(site, HR.themeMembership, node)
            self.add(node, RDF.type, HR.ThemeMembership)
            self.add(node, HR.member, site)
            self.add(node, HR.ofTheme, theme)
            self.add(node, HR.rule, Literal(m.rule))
            self.add(node, HR.reason, Literal(m.reason_zh, lang="zh"))
            self.add(node, HR.reason, Literal(m.reason_en, lang="en"))
            if m.source:
                self.add(node, DCTERMS.source, Literal(m.source))
            self.add(node, PROV.wasGeneratedBy, act)

    def _theme_concepts(self) -> list[object]:
        """The concepts of the themes scheme (``data/ontology/themes.ttl``, already loaded)."""
        return list(self.g.subjects(SKOS.inScheme, HRID["scheme/themes"]))
