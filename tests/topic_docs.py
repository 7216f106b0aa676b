"""Tokenised documents written for the project's topic-model tests: three themes (stone
carving, Sichuan opera, lemon orchards), six documents repeated six times."""

DOCS = [
    ["石刻", "造像", "千手观音", "宝顶山", "大佛湾"],
    ["石刻", "北山", "造像", "精美", "讲解"],
    ["川剧", "变脸", "演出", "戏楼", "票友"],
    ["川剧", "高腔", "演出", "资阳河", "戏楼"],
    ["柠檬", "果园", "采摘", "宝森", "乡村"],
    ["柠檬", "凉粉", "美食", "冬菜", "采摘"],
] * 6
