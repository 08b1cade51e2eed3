/**
 * The built-in skill catalog, used when the config says `skills.catalog: default`.
 * Keywords carry most of the lexical tagger's signal, so they list the words people actually type
 * (including inflections the light stemmer does not fold, e.g. "summarise"/"summarize").
 */
import { parseSkillCatalog, type SkillCatalog } from "./catalog.js";

const RAW = {
  version: 1,
  skills: [
    {
      id: "arithmetic",
      category: "math",
      description: "Calculating with numbers: addition, subtraction, multiplication, division, fractions, decimals and percentages.",
      keywords: [
        "arithmetic", "addition", "add", "subtraction", "subtract", "multiplication", "multiply", "times table", "division", "divide",
        "divided by", "fraction", "decimal", "percentage", "percent", "remainder", "rounding", "total cost", "mental math", "calculate",
      ],
      examples: [
        "What is 17 times 23?",
        "What is 15% of 240?",
        "Add 3/4 and 2/3 and simplify the fraction.",
        "How much change do I get from $50 if I spend $37.85?",
        "Round 4.5672 to two decimal places.",
        "If 8 apples cost $3.20, how much does one apple cost?",
      ],
    },
    {
      id: "algebra",
      category: "math",
      description: "Manipulating symbolic expressions and solving equations and inequalities for unknown variables.",
      keywords: [
        "algebra", "equation", "solve for x", "variable", "unknown", "quadratic", "linear equation", "polynomial", "factor",
        "factorise", "factorize", "simplify expression", "inequality", "system of equations", "exponent", "logarithm",
        "roots", "slope", "coefficient", "expand brackets",
      ],
      examples: [
        "Solve 3x + 7 = 22 for x.",
        "Factor x^2 - 5x + 6.",
        "What are the roots of 2x^2 + 3x - 2 = 0?",
        "Solve the system y = 2x + 1 and y = -x + 4.",
        "Simplify (x^3 * x^2) / x^4.",
      ],
    },
    {
      id: "statistics",
      category: "math",
      description: "Summarising and reasoning about data and uncertainty: averages, spread, probability, distributions and statistical tests.",
      keywords: [
        "statistics", "statistical", "mean", "median", "average", "standard deviation", "variance", "probability",
        "distribution", "normal distribution", "regression", "correlation", "hypothesis test", "p-value", "confidence interval",
        "sample", "percentile", "odds", "coin flip", "random",
      ],
      examples: [
        "What is the median of 3, 9, 4, 7 and 12?",
        "Compute the standard deviation of this data set: 2, 4, 4, 4, 5, 5, 7, 9.",
        "What is the probability of rolling two sixes with two dice?",
        "How do I interpret a p-value of 0.03 in a t-test?",
        "What does a correlation coefficient of -0.8 mean?",
      ],
    },
    {
      id: "python-programming",
      category: "code",
      description: "Writing, reading and debugging Python code, from scripts and functions to libraries such as pandas and numpy.",
      keywords: [
        "python", "code", "generator", "yield", "script", "function", "def", "list comprehension", "dictionary", "dict", "class",
        "loop", "exception", "traceback", "pandas", "numpy", "pip", "import", "decorator", "bug",
      ],
      examples: [
        "Write a Python function that reverses a string.",
        "Why does my code raise KeyError when I read a dict?",
        "How do I read a CSV file into a pandas DataFrame?",
        "Convert this for loop into a list comprehension.",
        "What is the difference between a list and a tuple in Python?",
      ],
    },
    {
      id: "sql",
      category: "code",
      description: "Writing and optimising SQL queries and designing relational database tables.",
      keywords: [
        "sql", "query", "select", "join", "left join", "table", "database", "where clause", "group by", "order by", "index",
        "primary key", "foreign key", "postgres", "postgresql", "mysql", "sqlite", "insert", "rows", "columns",
      ],
      examples: [
        "Write a SQL query that returns the ten customers with the highest total orders.",
        "What is the difference between an inner join and a left join?",
        "How do I count rows per category with GROUP BY?",
        "Why is my Postgres query slow even though the column has an index?",
        "Design tables for users and their orders with a foreign key.",
      ],
    },
    {
      id: "contract-law",
      category: "humanities",
      description: "Interpreting contracts and agreements: formation, clauses, obligations, breach and remedies.",
      keywords: [
        "contract", "agreement", "clause", "breach", "breach of contract", "liability", "indemnity", "consideration",
        "offer and acceptance", "terms and conditions", "lease", "tenant", "landlord", "damages", "termination", "nda",
        "non-compete", "enforceable", "legally binding", "lawyer",
      ],
      examples: [
        "Is a verbal agreement legally binding?",
        "What happens if my landlord breaches the lease?",
        "Can my employer enforce a non-compete clause after I quit?",
        "What does an indemnity clause in a services contract mean?",
        "What remedies are available for breach of contract?",
      ],
    },
    {
      id: "history",
      category: "humanities",
      description: "Past events, periods, people and societies, and the causes and consequences of historical change.",
      keywords: [
        "history", "historical", "war", "world war", "empire", "revolution", "century", "ancient", "medieval", "dynasty",
        "king", "queen", "emperor", "treaty", "civilization", "battle", "independence", "colonial", "reign", "era",
      ],
      examples: [
        "What were the main causes of World War I?",
        "Why did the Western Roman Empire fall?",
        "Who was Genghis Khan and how did the Mongol Empire expand?",
        "What was the significance of the Treaty of Versailles?",
        "How did the French Revolution change Europe?",
        "What was daily life like in medieval England?",
      ],
    },
    {
      id: "biology",
      category: "science",
      description: "Living organisms and life processes, from cells, genes and proteins to evolution and ecosystems.",
      keywords: [
        "biology", "cell", "dna", "gene", "genetics", "evolution", "natural selection", "organism", "protein",
        "photosynthesis", "mitochondria", "species", "enzyme", "bacteria", "virus", "immune system", "ecosystem",
        "mutation", "anatomy", "inherited traits",
      ],
      examples: [
        "How does photosynthesis convert light into chemical energy?",
        "What is the function of mitochondria in a cell?",
        "How does natural selection lead to new species?",
        "What is the difference between mitosis and meiosis?",
        "How do vaccines train the immune system?",
      ],
    },
    {
      id: "chemistry",
      category: "science",
      description: "Matter and its transformations: atoms, molecules, chemical bonds, reactions and stoichiometry.",
      keywords: [
        "chemistry", "chemical", "molecule", "atom", "element", "compound", "reaction", "atomic number", "bond",
        "periodic table", "acid", "base", "ph", "molar mass", "mole", "stoichiometry", "oxidation", "electron", "ion",
        "balance chemical equation",
      ],
      examples: [
        "Balance the equation H2 + O2 -> H2O.",
        "What is the molar mass of sodium chloride?",
        "Why is water a polar molecule?",
        "What is the pH of a 0.01 M hydrochloric acid solution?",
        "What is the difference between ionic and covalent bonds?",
      ],
    },
    {
      id: "creative-writing",
      category: "writing",
      description: "Writing original fiction and verse: stories, poems, characters, dialogue and imaginative prose.",
      keywords: [
        "creative writing", "story", "short story", "poem", "poetry", "haiku", "limerick", "sonnet", "rhyme", "verse",
        "fiction", "character", "plot", "narrative", "dialogue", "novel", "song lyrics", "metaphor", "fantasy", "imaginative",
      ],
      examples: [
        "Write a short story about a robot who learns to paint.",
        "Compose a haiku about autumn rain.",
        "Write a limerick about a cat who loves cheese.",
        "Give me a plot twist for my mystery novel.",
        "Write dialogue between two old friends meeting after twenty years.",
      ],
    },
    {
      id: "summarization",
      category: "writing",
      description: "Condensing a given text into a shorter summary that keeps its main points.",
      keywords: [
        "summarize", "summarise", "summarization", "summary", "tl;dr", "tldr", "condense", "key points", "main points",
        "bullet points", "shorten", "briefly", "overview", "gist", "recap", "abstract", "article", "paragraph", "passage",
        "in a few sentences",
      ],
      examples: [
        "Summarize this article in three sentences.",
        "Give me a TL;DR of the following email.",
        "What are the key points of this meeting transcript?",
        "Condense this paragraph into one sentence.",
        "Write a short abstract for this research paper.",
      ],
    },
    {
      id: "translation",
      category: "writing",
      description: "Translating text between human languages while keeping its meaning and tone.",
      keywords: [
        "translate", "translation", "translator", "language", "french", "spanish", "german", "italian", "portuguese",
        "chinese", "japanese", "korean", "russian", "arabic", "english", "how do you say", "into english", "native speaker",
      ],
      examples: [
        "Translate 'Where is the train station?' into French.",
        "How do you say 'thank you very much' in Japanese?",
        "Translate this paragraph from German to English.",
        "What does 'carpe diem' mean in English?",
        "Translate this product description into Spanish, keeping a formal tone.",
      ],
    },
  ],
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

// Parsed through the same validator as user catalogs, so a typo here fails at import, not at tag time.
export const DEFAULT_CATALOG: SkillCatalog = deepFreeze(parseSkillCatalog(RAW, "default skill catalog"));
