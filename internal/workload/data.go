package workload

// The tables the generator draws from. They are small, fixed and part of
// the generator's output contract: changing one changes every file a seed
// produces, so the determinism test's digests change with it.

// surnames are the most common Chinese family names with their approximate
// share of the population in per mille, in the order of the Ministry of
// Public Security's 2020 household-registration ranking (王 7.1%, 李 7.0%,
// 张 6.7%, ...). The 80 listed cover about 80% of people; the shares are
// renormalised over the list.
var surnames = []struct {
	name   string
	weight int
}{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 20},
	{"吴", 19}, {"周", 19}, {"徐", 15}, {"孙", 15}, {"马", 14}, {"朱", 13}, {"胡", 12}, {"郭", 12},
	{"何", 11}, {"林", 11}, {"高", 10}, {"罗", 9}, {"郑", 9}, {"梁", 8}, {"谢", 7}, {"宋", 7},
	{"唐", 7}, {"许", 6}, {"韩", 6}, {"冯", 6}, {"邓", 6}, {"曹", 6}, {"彭", 6}, {"曾", 5},
	{"肖", 5}, {"田", 5}, {"董", 5}, {"袁", 5}, {"潘", 5}, {"于", 5}, {"蒋", 5}, {"蔡", 5},
	{"余", 5}, {"杜", 4}, {"叶", 4}, {"程", 4}, {"苏", 4}, {"魏", 4}, {"吕", 4}, {"丁", 4},
	{"任", 4}, {"沈", 4}, {"姚", 3}, {"卢", 3}, {"姜", 3}, {"崔", 3}, {"钟", 3}, {"谭", 3},
	{"陆", 3}, {"汪", 3}, {"范", 3}, {"金", 3}, {"石", 2}, {"廖", 2}, {"贾", 2}, {"夏", 2},
	{"韦", 2}, {"付", 2}, {"方", 2}, {"白", 2}, {"邹", 2}, {"孟", 2}, {"熊", 2}, {"秦", 1},
	{"邱", 1}, {"江", 1}, {"尹", 1}, {"薛", 1}, {"闫", 1}, {"段", 1}, {"雷", 1}, {"侯", 1},
}

// givenFemale and givenMale are characters common in given names; a given
// name is one of them or two.
var (
	givenFemale = []string{
		"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "颖", "洁", "倩",
		"悦", "欣", "怡", "佳", "琪", "萍", "红", "梅", "莉", "晶", "璐", "瑶", "慧", "媛", "月", "丹",
		"雨", "涵", "蕾", "薇", "晴", "思", "梓", "诗", "秀", "英", "桂", "兰", "凤", "宁",
	}
	givenMale = []string{
		"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
		"鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "旭", "龙", "林", "峰", "亮", "建", "国",
		"志", "文", "博", "晨", "轩", "然", "子", "海",
	}
)

// englishNames are the Latin names people add to WeChat nicknames.
var englishNames = []string{
	"Fiona", "Lily", "Amy", "Coco", "Vivian", "Cherry", "Grace", "Emma", "Kiki", "Yoyo",
	"Kevin", "Jack", "Leo", "Tony", "Eric", "Jason", "Sam", "Andy", "Max", "Ray",
}

// nickSuffixes decorate social nicknames.
var nickSuffixes = []string{"", "", "", "🌸", "酱", "呀", "_", "✨", "2026", "🍀"}

// region is a city where the brand sells, with its share of customers
// (relative weights), the province and city as platforms write them in
// short form, and a two-letter code for the city's stores.
type region struct {
	province, city string
	code           string
	weight         int
	full           string // the province as Taobao's receiver_state writes it
}

var regions = []region{
	{"广东", "深圳", "SZ", 60, "广东省"}, {"广东", "广州", "GZ", 55, "广东省"},
	{"上海", "上海", "SH", 70, "上海"}, {"北京", "北京", "BJ", 65, "北京"},
	{"浙江", "杭州", "HZ", 45, "浙江省"}, {"江苏", "南京", "NJ", 30, "江苏省"},
	{"江苏", "苏州", "SU", 30, "江苏省"}, {"四川", "成都", "CD", 40, "四川省"},
	{"重庆", "重庆", "CQ", 30, "重庆"}, {"湖北", "武汉", "WH", 30, "湖北省"},
	{"湖南", "长沙", "CS", 22, "湖南省"}, {"陕西", "西安", "XA", 22, "陕西省"},
	{"天津", "天津", "TJ", 18, "天津"}, {"山东", "济南", "JN", 14, "山东省"},
	{"山东", "青岛", "QD", 16, "山东省"}, {"福建", "厦门", "XM", 14, "福建省"},
	{"福建", "福州", "FZ", 12, "福建省"}, {"河南", "郑州", "ZZ", 20, "河南省"},
	{"辽宁", "沈阳", "SY", 12, "辽宁省"}, {"辽宁", "大连", "DL", 10, "辽宁省"},
	{"安徽", "合肥", "HF", 14, "安徽省"}, {"江西", "南昌", "NC", 10, "江西省"},
	{"云南", "昆明", "KM", 10, "云南省"}, {"广西", "南宁", "NN", 9, "广西壮族自治区"},
	{"贵州", "贵阳", "GY", 8, "贵州省"}, {"山西", "太原", "TY", 8, "山西省"},
	{"河北", "石家庄", "SJ", 9, "河北省"}, {"吉林", "长春", "CC", 7, "吉林省"},
	{"黑龙江", "哈尔滨", "HB", 8, "黑龙江省"}, {"内蒙古", "呼和浩特", "HH", 5, "内蒙古自治区"},
	{"甘肃", "兰州", "LZ", 5, "甘肃省"}, {"新疆", "乌鲁木齐", "WL", 5, "新疆维吾尔自治区"},
	{"海南", "海口", "HK", 5, "海南省"}, {"宁夏", "银川", "YC", 3, "宁夏回族自治区"},
	{"青海", "西宁", "XN", 2, "青海省"}, {"西藏", "拉萨", "LS", 2, "西藏自治区"},
	{"广东", "东莞", "DG", 18, "广东省"}, {"广东", "佛山", "FS", 16, "广东省"},
	{"浙江", "宁波", "NB", 14, "浙江省"},
}

// municipality reports whether a region is a province-level city, whose
// Taobao receiver_city is the city name with 市 and whose Weibo location
// names a district.
func (r *region) municipality() bool { return r.province == r.city }

// districts are the Weibo location's second word for municipalities.
var districts = []string{"朝阳区", "浦东新区", "海淀区", "徐汇区", "渝中区", "和平区", "静安区", "南开区"}

// product is an item of the brand's catalogue: title, Taobao category id,
// JD sku id and unit price in fen.
type product struct {
	title string
	cid   string
	sku   string
	price int64
}

var products = []product{
	{"修护精华液 30ml", "121484013", "100012043978", 39900},
	{"补水面膜 5片装", "121476023", "100012043979", 5990},
	{"保湿面霜 50g", "121410013", "100012043980", 28900},
	{"丝绒口红 #23", "50010815", "100012043981", 19900},
	{"氨基酸洁面乳 100g", "121452006", "100012043982", 8900},
	{"防晒乳 SPF50 40ml", "121452020", "100012043983", 16900},
	{"玻尿酸爽肤水 200ml", "121452005", "100012043984", 15900},
	{"紧致眼霜 15g", "121484015", "100012043985", 32900},
	{"气垫粉底 #01", "50010813", "100012043986", 25900},
	{"温和卸妆油 150ml", "121452007", "100012043987", 12900},
	{"淡香水 50ml", "50010793", "100012043988", 59900},
	{"香氛身体乳 250ml", "50011977", "100012043989", 9900},
}

// posCategories are the till's categories.
var posCategories = []string{"护肤", "彩妆", "香水", "个护"}

// weiboTexts are comments fans leave; leadTexts the comment that goes with
// a lead form.
var (
	weiboTexts = []string{"这款精华适合敏感肌吗？", "求链接", "已种草", "双十一还有吗", "好用！回购了", "转发微博", "包装好好看", "什么时候补货", "@闺蜜 快来看", "色号好美"}
	leadTexts  = []string{"已留资，求试用装", "报名", "想要", "已填表"}
)

// feedbackTexts are survey comments, by NPS category: detractor, passive,
// promoter.
var feedbackTexts = [3][]string{
	{"退换货太慢", "客服回复慢", "过敏了", "物流太慢", ""},
	{"还可以", "价格有点贵", "", "包装一般"},
	{"导购很专业，已推荐给朋友", "物流很快", "很满意", "会回购", ""},
}

// emailDomains are the mailbox providers of the CRM's e-mail column.
var emailDomains = []string{"qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"}

// placeholderNames are what staff and platforms type instead of a name.
var placeholderNames = []string{"先生", "女士", "顾客"}

// subscribeScenes are WeChat's subscribe_scene values.
var subscribeScenes = []string{"ADD_SCENE_QR_CODE", "ADD_SCENE_SEARCH", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_OTHERS"}

// mobilePrefixes are the first three digits of mainland mobile numbers
// the generator hands out, weighted roughly by how common they are.
var mobilePrefixes = []struct {
	prefix int
	weight int
}{
	{139, 10}, {138, 10}, {137, 8}, {136, 8}, {135, 8}, {134, 5}, {150, 6}, {151, 5}, {152, 4},
	{157, 3}, {158, 6}, {159, 6}, {130, 5}, {131, 4}, {132, 4}, {155, 3}, {156, 4}, {185, 4},
	{186, 6}, {187, 5}, {188, 5}, {180, 3}, {181, 3}, {189, 5}, {133, 3}, {153, 3}, {177, 3},
	{173, 2}, {199, 3}, {166, 2}, {198, 2}, {191, 1},
}
