// The Kotlin suite of the uniffi binding: compiled with the generated sambung.kt and run on
// the JVM with JNA by scripts/test (bindings/uniffi/tests/run). Each check throws on failure;
// the last line printed is the summary the CI log reads.
import uniffi.sambung.*

val OPTIONS = ("OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\n" +
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
    "From: <sip:agent@127.0.0.1>;tag=1\r\nTo: <sip:1500112@127.0.0.1>\r\n" +
    "Call-ID: abc\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").toByteArray()

fun check(ok: Boolean, what: String) {
    if (!ok) throw AssertionError(what)
}

inline fun <reified E : Throwable> throws(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: threw ${e::class.simpleName}: ${e.message}")
    }
    throw AssertionError("$what: did not throw")
}

fun pcm(vararg samples: Int): ByteArray {
    val out = ByteArray(samples.size * 2)
    samples.forEachIndexed { i, s ->
        out[2 * i] = (s and 0xff).toByte()
        out[2 * i + 1] = ((s shr 8) and 0xff).toByte()
    }
    return out
}

fun sipMessages() {
    val m = Message.parse(OPTIONS)
    check(m.method() == "OPTIONS" && m.kind() == "request", "method")
    check(m.callId() == "abc" && m.cseq() == 1u && m.cseqMethod() == "OPTIONS", "call-id, cseq")
    check(m.fromTag() == "1" && m.toTag() == null && m.branch() == "z9hG4bK1", "tags")
    check(m.header("i") == "abc", "compact header")
    check(m.toBytes().contentEquals(OPTIONS), "bytes")
    check(m.toJson().contains("\"cseq\":{\"method\":\"OPTIONS\",\"seq\":1}"), "json: ${m.toJson()}")
    val ok = m.response(200u, "OK", "x", listOf(HeaderField("Allow", "INVITE, OPTIONS")), null)
    check(ok.status() == 200.toUShort() && ok.toTag() == "x", "response")
    check(Message.parse(ok.toBytes()).header("Allow") == "INVITE, OPTIONS", "response header")
    val e = throws<SambungException.Parse>("parse error") {
        Message.parse("INVITE sip:x SIP/2.0\r\n\r\n".toByteArray())
    }
    check(e.responseCode == 400.toUShort() && e.offset == 24uL && e.detail.contains("Via"), "parse error fields")
    throws<SambungException.Parse>("junk") { Message.parse(ByteArray(5000) { 0xff.toByte() }) }
    throws<SambungException.InvalidArgument>("header injection") {
        Message.request("OPTIONS", "sip:x", listOf(HeaderField("Subject", "a\r\nVia: x")), null)
    }
    val offer = sdpOffer("127.0.0.1", 4000u, listOf("PCMA", "telephone-event"))
    check(offer.contains("m=audio 4000 RTP/AVP 8 101"), "offer")
    check(sdpAnswerJson(offer, "127.0.0.1", 5000u, listOf()).contains("\"name\":\"PCMA\""), "answer")
    throws<SambungException.InvalidArgument>("unknown codec") { sdpOffer("127.0.0.1", 4000u, listOf("AMR")) }
}

fun media() {
    val alaw = G711("alaw")
    check(alaw.name() == "PCMA", "name")
    val coded = alaw.encode(pcm(0, 32767, -32768))
    check(coded.map { it.toInt() and 0xff } == listOf(0xd5, 0xaa, 0x2a), "A-law table")
    check(alaw.decode(coded).size == 6, "decode")
    throws<SambungException.InvalidArgument>("odd PCM") { alaw.encode(ByteArray(3)) }
    throws<SambungException.InvalidArgument>("unknown law") { G711("gsm") }
    val opus = Opus(48000u)
    check(opus.frameSamples() == 960u, "opus frame")
    val packet = opus.encode(ByteArray(1920))
    check(packet.isNotEmpty() && opus.decode(packet).size == 1920, "opus round trip")
    val jb = JitterBuffer(8000u, 160u, 20.0, 500.0, 256u)
    var played = 0
    for (i in 0 until 8) {
        if (i < 5) check(jb.push(i.toUShort(), (i * 160).toUInt(), ByteArray(160), 0.02 * i) == "accepted", "push")
        if (jb.pop(0.02 * i + 0.02) is Popped.Frame) played++
    }
    check(played == 5, "played $played")
    check(jb.statsJson().contains("\"frames_played\":5"), "stats")
    throws<SambungException.InvalidArgument>("negative time") { jb.pop(-1.0) }
}

fun acd() {
    val s = Scheduler(24301uL, 20.0, 900.0, 1_795_000_000L)
    s.addQueue("pengaduan", QueueSettings(wrapUpS = 5.0))
    s.agentLogin(0.0, "1001", listOf("pengaduan"))
    s.agentReady(0.0, "1001")
    s.callArrived(10.0, 1uL, "pengaduan", 0)
    check(s.pollActionsJson() == """[{"action":"offer","agent":"1001","call":1}]""", "offer: ${s.pollActionsJson()}")
    s.offerAnswered(13.0, 1uL, "1001")
    s.callEnded(73.0, 1uL)
    check(s.agentStatus("1001") == "wrap_up", "wrap-up")
    val stats = s.queueStatsJson("pengaduan") ?: throw AssertionError("no stats")
    check(stats.contains("\"answered\":1") && stats.contains("\"asa_s\":3.0"), "stats: $stats")
    throws<SambungException.Core>("unknown queue") { s.callArrived(0.0, 2uL, "nowhere", 0) }
    throws<SambungException.InvalidArgument>("strategy") { s.addQueue("q", QueueSettings(strategy = "best")) }
    val report = simulateJson(
        "seed = 1\nduration_s = 600.0\nservice_level_threshold_s = 20.0\n" +
            "[[queue]]\nname = \"q\"\narrival = { process = \"poisson\", rate_per_s = 0.05 }\n" +
            "handle_time = { dist = \"exponential\", mean_s = 60.0 }\n" +
            "[[agents]]\ncount = 3\nqueues = [\"q\"]\n",
    )
    check(report.contains("\"queues\":{\"q\":{"), "simulate: $report")
    throws<SambungException.InvalidArgument>("bad scenario") { simulateJson("seed = 'one'") }
}

fun recording(folder: String) {
    val index = Index(folder)
    index.begin(NewRecording("r1", 1L, "+62215550001", "110", 1_795_000_000_000L, "wav/alaw", "r1.wav", agent = "1001"))
    index.begin(NewRecording("r2", 2L, "+62315550002", "110", 1_795_000_001_000L, "wav/alaw", "r2.wav", agent = "1002"))
    check(index.complete("r1", 1_795_000_060_000L, 60_000L, 480_044L, "00"), "complete")
    val found = index.searchJson(Query(numberPrefix = "+6221"))
    check(found.contains("\"total\":1") && found.contains("\"id\":\"r1\""), "search: $found")
    throws<SambungException.InvalidArgument>("missing folder") { Index("$folder/missing") }
}

fun main(args: Array<String>) {
    val folder = args.firstOrNull() ?: throw IllegalArgumentException("usage: SambungTestKt DATA_FOLDER")
    val tests = listOf<Pair<String, () -> Unit>>(
        "sip messages" to ::sipMessages,
        "media" to ::media,
        "acd" to ::acd,
        "recording" to { recording(folder) },
        "README example" to ::readmeExample,
    )
    var failed = 0
    for ((name, test) in tests) {
        try {
            test()
            println("ok - $name")
        } catch (e: Throwable) {
            failed++
            println("not ok - $name: $e")
        }
    }
    println("kotlin: ${tests.size - failed} passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
