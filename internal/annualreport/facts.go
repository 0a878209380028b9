package annualreport

// Issued is a row of section 二's first table (第二十条第（一）项): the
// documents issued and repealed in the year, and those in force at its end.
type Issued struct {
	Issued   int `json:"issued"`   // 本年制发件数
	Repealed int `json:"repealed"` // 本年废止件数
	Valid    int `json:"valid"`    // 现行有效件数
}

// Section2 is section 二, 主动公开政府信息情况: the four tables of article 20.
type Section2 struct {
	Regulations        Issued `json:"regulations"`         // 规章
	NormativeDocuments Issued `json:"normative_documents"` // 行政规范性文件
	Licenses           int    `json:"licenses"`            // 第（五）项 行政许可 本年处理决定数量
	Penalties          int    `json:"penalties"`           // 第（六）项 行政处罚
	Enforcement        int    `json:"enforcement"`         // 第（六）项 行政强制
	// Fees is 第（八）项 行政事业性收费 本年收费金额 in 万元, as the office
	// entered it (sanshen publishes the fee lists, not the money
	// collected): a decimal string such as "0" or "12.35".
	Fees string `json:"fees"`
}

// Facts is what an agency's own records say of a year: the figures the
// generator writes into the report, and the validator compares a
// submitted report with.
type Facts struct {
	Year     int
	Section2 Section2
	// Channels is the number of items published in the year on each
	// channel, by channel code (domain.Channel).
	Channels map[string]int
	Cases    CaseCounts
}
