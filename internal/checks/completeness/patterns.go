package completeness

// Regular-expression fragments that both the rules in code and the
// declarative RequiredFields table use. In a Field's Pattern they are written
// as placeholders ({date}, {docno}, {law}, {organ}, {signature}) so that an administrator
// reads "a date", not forty characters of regexp, and so that a fix to what a
// date looks like reaches every field at once.
const (
	// blankPattern is the blank a Chinese text puts between tokens, the
	// ideographic space included but never a line break.
	blankPattern = `[ \t\x{3000}]*`

	// datePattern is a full date: 2024年3月5日, 2024-03-05, 2024.3.5,
	// 2024/3/5 or 二〇二四年三月五日.
	datePattern = `(?:[0-9]{4}` + blankPattern + `年` + blankPattern + `[0-9]{1,2}` + blankPattern + `月` + blankPattern + `[0-9]{1,2}` + blankPattern + `日` +
		`|[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}` +
		`|[〇零○Ｏ一二三四五六七八九]{4}` + blankPattern + `年` + blankPattern + `[一二三四五六七八九十]{1,3}` + blankPattern + `月` + blankPattern + `[一二三四五六七八九十]{1,3}` + blankPattern + `日)`

	// docnoPattern is a document number, well formed or not (DocumentNumbers
	// judges the form): 东政发〔2024〕1号, also 东政发[2024]第01号.
	docnoPattern = `\p{Han}{1,12}[〔\[(（【［〖﹝｛{]` + blankPattern + `[0-9]{2,4}` + blankPattern +
		`[〕\])）】］〗﹞｝}]` + blankPattern + `第?` + blankPattern + `[0-9]{1,6}` + blankPattern + `号`

	// lawPattern is a cited article of a named law or rule:
	// 《中华人民共和国食品安全法》（2021年修正）第一百二十四条.
	lawPattern = `《[^《》\n]{2,80}》` + blankPattern + `(?:（[^（）\n]{0,20}）|\([^()\n]{0,20}\))?` + blankPattern +
		`的?` + blankPattern + `第` + blankPattern + `[零〇一二三四五六七八九十百千0-9]+` + blankPattern + `条`

	// organPattern is the name of an administrative organ as it stands in a
	// signature (落款): ending in 局, 委员会, 人民政府, 办事处 and the like.
	organPattern = `[\p{Han}（）()]{2,40}?(?:局|委员会|人民政府|办事处|大队|支队|执法队|管理处|厅|委)`

	// signaturePattern is the closing signature block (落款) of a decision:
	// the deciding organ's name, a seal note if any, and the date, on two
	// lines or one. Its organ may also be an office below a bureau (所, 站,
	// 中心 …): 北京市东城区市场监督管理局建国门市场监督管理所（印章）.
	signaturePattern = `(?m:^` + blankPattern + signOrganPattern + blankPattern + sealPattern + `(?:` + blankPattern + `\r?\n` + blankPattern + `|` + blankPattern + `)` +
		datePattern + blankPattern + `\r?$)`
	signOrganPattern = `[\p{Han}（）()]{2,40}?(?:局|委员会|人民政府|办事处|大队|支队|总队|执法队|管理处|厅|委|所|站|中心|署|办公室)`
	sealPattern      = `(?:[（(](?:印章|盖章|公章|章)[）)])?`
)
